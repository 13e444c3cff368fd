# Wrong: right values, but torch's linear does the work the statement asks for.
import torch.nn.functional as F


def dense_forward(X, W, b):
    return F.linear(X, W, b)
