# Wrong: one step only: sigma(b) instead of sigma(b) ** 20
RETAINED = [1 / (1 + math.exp(-b)) for b in (0.0, 1.0, 3.0)]
RETAINED_RATIO = RETAINED[1] / RETAINED[0]
