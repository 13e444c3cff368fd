# Wrong: "the largest rate that does not diverge is the fastest": 2 / a for both.
THRESHOLDS = [2 / 8, 2 / 10, 2 / 0.5]
BEST_RATES = [2 / 8, 2 / 10, 2 / 0.5]
