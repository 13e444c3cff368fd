# Wrong: the momentum weighs the old value (0.9 on the batch), as in an optimizer's EWMA
RUNNING = {"mean": [4.5, 0.9 * 2 + 0.1 * 4.5], "var": [0.9 * 20 / 3 + 0.1 * 1, 0.9 * 2 + 0.1 * 6.1]}
