# Wrong: the singular values of g Q taken as g^2 (those of W^T W), in every layer.
S_LAYER = ((5 / 3) ** 2, (5 / 3) ** 2)
S_LINEAR = (0.81**10, 0.81**10)
S_TANH_ZERO = (1.44**10, 1.44**10)
S_TANH_HALF = ((0.75 * 16 / 9) ** 10, (0.75 * 16 / 9) ** 10)
