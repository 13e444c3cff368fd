# one step only
def retained(bias, steps):
    return 1 / (1 + math.exp(-bias))


RETAINED_RATIO = retained(1.0, 20) / retained(0.0, 20)
