# never smooths: the one-hot rows (right shape, each row sums to 1)
def smoothed_target(targets, K, eps):
    one_hot = torch.zeros(len(targets), K, dtype=torch.float64)
    one_hot[torch.arange(len(targets)), targets] = 1.0
    return one_hot


def optimal_gap(eps, K):
    return math.log((1 - eps) * (K - 1) / eps)
