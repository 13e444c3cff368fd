# Wrong: the course's own Huber loss, under another name.
from nnbasics.losses import huber_loss as _hl


def huber(pred, target, delta=1.0):
    return _hl(pred, target, delta=delta)
