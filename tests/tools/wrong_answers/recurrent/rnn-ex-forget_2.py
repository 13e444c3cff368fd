# Wrong: (1 - f) ** 20, the share the forget gate drops, taken for the share it keeps (the same
# for b = 0 only)
RETAINED = [(1 - 1 / (1 + math.exp(-b))) ** 20 for b in (0.0, 1.0, 3.0)]
RETAINED_RATIO = RETAINED[1] / RETAINED[0]
