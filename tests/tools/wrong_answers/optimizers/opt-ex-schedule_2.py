# Wrong: the cosine ignores eta_min (it ends at 0, not at 0.001)
MULTISTEP = [0.1, 0.1, 0.01, 0.01, 0.001, 0.0001]
COSINE = [0.1 * (1 + math.cos(math.pi * e / 200)) / 2 for e in (0, 50, 100, 150, 200)]
