# Wrong: the running variance averages the biased batch variance (divides by N, not N - 1)
RUNNING = {"mean": [0.5, 0.65], "var": [0.9 * 1 + 0.1 * 5, 0.9 * 1.4 + 0.1 * 1]}
