# Wrong: exp of the course's own log-softmax (stable, right values, but not written by hand).
from nnbasics.activations import log_softmax as _lsm


def stable_softmax(scores):
    return torch.exp(_lsm(scores, dim=0))
