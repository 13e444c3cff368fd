# Wrong: the course's own linear layer, where the statement asks for the @ operator.
from nnbasics.layers import LinearFunction


def dense_forward(X, W, b):
    return LinearFunction.apply(X, W, b)
