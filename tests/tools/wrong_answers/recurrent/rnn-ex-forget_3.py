# Wrong: the ratio taken the other way round (b = 0 over b = 1)
RETAINED = [(1 / (1 + math.exp(-b))) ** 20 for b in (0.0, 1.0, 3.0)]
RETAINED_RATIO = RETAINED[0] / RETAINED[1]
