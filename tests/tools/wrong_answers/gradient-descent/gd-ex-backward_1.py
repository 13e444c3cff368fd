# uses sigma instead of sigma' for dL/df
def backward_by_hand(x, y, z):
    q = x + y
    s = 1 / (1 + math.exp(-q * z))
    return s * z, s * z, s * q
