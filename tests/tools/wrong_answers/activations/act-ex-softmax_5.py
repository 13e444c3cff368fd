# Wrong: stable and right, but the course's own log-softmax helper (the building block of its
# SoftmaxFunction) does the work the statement asks for.
from nnbasics.activations import _log_softmax


def stable_softmax(scores):
    return torch.exp(_log_softmax(scores, 0))
