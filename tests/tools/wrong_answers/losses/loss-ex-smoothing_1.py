# the K - 1 convention of part 2 in part 1 too: PyTorch's target spreads eps over all K classes
def smoothed_target(targets, K, eps):
    y = torch.full((len(targets), K), eps / (K - 1), dtype=torch.float64)
    y[torch.arange(len(targets)), targets] = 1 - eps
    return y


def optimal_gap(eps, K):
    return math.log((1 - eps) / (eps / (K - 1)))
