# Wrong: the betas swapped between the two moments (beta_1 = 0.999 on m, 0.9 on v); the first
# step is still lr, the second is not
m1, v1 = 0.001 * 2, 0.1 * 2**2
m2, v2 = 0.999 * m1 + 0.001 * (-1), 0.9 * v1 + 0.1 * (-1) ** 2
w1 = 1 - 0.1 * (m1 / 0.001) / (math.sqrt(v1 / 0.1) + 1e-8)
ADAM_WEIGHTS = [w1, w1 - 0.1 * (m2 / (1 - 0.999**2)) / (math.sqrt(v2 / (1 - 0.9**2)) + 1e-8)]
