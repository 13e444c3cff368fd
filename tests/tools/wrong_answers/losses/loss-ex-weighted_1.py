# plain mean of the weighted losses
def weighted_mean(losses, targets, weight):
    return (weight[targets] * losses).mean()
