# divides by the sum of all class weights
def weighted_mean(losses, targets, weight):
    return (weight[targets] * losses).sum() / weight.sum()
