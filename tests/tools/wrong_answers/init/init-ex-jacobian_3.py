# Wrong: tanh'(z) taken as 1 - h instead of 1 - h^2.
S_LAYER = (5 / 3, 5 / 3)
S_LINEAR = (0.9**10, 0.9**10)
S_TANH_ZERO = (1.2**10, 1.2**10)
S_TANH_HALF = ((0.5 * 4 / 3) ** 10, (0.5 * 4 / 3) ** 10)
