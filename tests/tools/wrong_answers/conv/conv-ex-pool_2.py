# wrong reshape: windows mix rows and columns
def max_pool_2x2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, 2, h // 2, 2, w // 2).amax(dim=(2, 4))
