# swaps the multiply gate's gradients
def backward_by_hand(x, y, z):
    q = x + y
    s = 1 / (1 + math.exp(-q * z))
    df = s * (1 - s)
    return df * q, df * q, df * z
