# Wrong: takes the one-step rate 1 / a for the edge of divergence too.
THRESHOLDS = [1 / 8, 1 / 10, 1 / 0.5]
BEST_RATES = [1 / 8, 1 / 10, 1 / 0.5]
