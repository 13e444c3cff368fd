# the ratio of the probabilities p_y / p_k, not of the logits' gap (no log)
def smoothed_target(targets, K, eps):
    one_hot = torch.zeros(len(targets), K, dtype=torch.float64)
    one_hot[torch.arange(len(targets)), targets] = 1.0
    return (1 - eps) * one_hot + eps / K


def optimal_gap(eps, K):
    return (1 - eps) * (K - 1) / eps
