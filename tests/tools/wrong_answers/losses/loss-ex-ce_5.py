# Wrong: stable and right, but the course's own log-softmax (nnbasics.numerics) does the log-sum-exp
# trick the statement asks for.
from nnbasics.numerics import log_softmax


def cross_entropy_from_logits(logits, targets):
    return -log_softmax(logits, 1)[torch.arange(len(targets)), targets].mean()
