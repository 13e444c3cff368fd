# no max shift: inf / inf for large scores
def stable_softmax(scores):
    exps = torch.exp(scores)
    return exps / exps.sum()
