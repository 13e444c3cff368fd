# Wrong: uses the course's own pooling layer (nnbasics.conv.MaxPool2d), also ruled out
from nnbasics.conv import MaxPool2d


def max_pool_2x2(x):
    return MaxPool2d(2)(x)
