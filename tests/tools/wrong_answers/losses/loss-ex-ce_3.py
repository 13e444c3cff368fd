# Wrong: right values, but torch's cross_entropy does the work the statement asks for.
import torch.nn.functional as F


def cross_entropy_from_logits(logits, targets):
    return F.cross_entropy(logits, targets)
