# the bias itself as the retained fraction per step
def retained(bias, steps):
    return 0.5 * (1 + math.tanh(bias)) ** steps


RETAINED_RATIO = retained(1.0, 20) / retained(0.0, 20)
