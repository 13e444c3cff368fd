# Wrong: the running variance starts from 0, as the running mean does (a new layer starts it at 1)
RUNNING = {"mean": [0.5, 0.65], "var": [0.1 * 20 / 3, 0.9 * 2 / 3 + 0.1 * 2]}
