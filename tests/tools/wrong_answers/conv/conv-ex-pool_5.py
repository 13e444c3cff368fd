# Wrong: torch's 3-d max pooling with a 1 x 2 x 2 window (it reads [N, C, H, W] as one unbatched
# [C, D, H, W] volume), which the statement rules out (right values)
def max_pool_2x2(x):
    return torch.max_pool3d(x, (1, 2, 2))
