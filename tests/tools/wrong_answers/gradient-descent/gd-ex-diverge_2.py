def divergence_threshold(a):
    return 2 / a


def best_learning_rate(a):
    return 2 / a
