# Wrong: calls torch.nn.functional.max_pool2d, which the statement rules out (right values)
def max_pool_2x2(x):
    return torch.nn.functional.max_pool2d(x, 2)
