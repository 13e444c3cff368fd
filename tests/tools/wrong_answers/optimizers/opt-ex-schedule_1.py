# Wrong: off by one at the milestones: the rate drops only after epoch m, not from epoch m on
MULTISTEP = [0.1, 0.1, 0.1, 0.01, 0.01, 0.0001]
COSINE = [0.001 + 0.099 * (1 + math.cos(math.pi * e / 200)) / 2 for e in (0, 50, 100, 150, 200)]
