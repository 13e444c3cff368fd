# Wrong: no bias correction: the first step is lr * 0.2 / sqrt(0.004) = 0.32, not lr
m1, v1 = 0.1 * 2, 0.001 * 2**2
m2, v2 = 0.9 * m1 + 0.1 * (-1), 0.999 * v1 + 0.001 * (-1) ** 2
w1 = 1 - 0.1 * m1 / (math.sqrt(v1) + 1e-8)
ADAM_WEIGHTS = [w1, w1 - 0.1 * m2 / (math.sqrt(v2) + 1e-8)]
