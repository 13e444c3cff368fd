# Wrong: the gain counted once for the whole network instead of once per layer.
S_LAYER = (5 / 3, 5 / 3)
S_LINEAR = (0.9, 0.9)
S_TANH_ZERO = (1.2, 1.2)
S_TANH_HALF = (0.75 * 4 / 3, 0.75 * 4 / 3)
