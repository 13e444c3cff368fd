def divergence_threshold(a):
    return 1 / a


def best_learning_rate(a):
    return 1 / a
