# Wrong: the course's Huber Function itself, reached past huber_loss.
from nnbasics.losses import HuberFunction


def huber(pred, target, delta=1.0):
    return HuberFunction.apply(pred, target, delta).mean()
