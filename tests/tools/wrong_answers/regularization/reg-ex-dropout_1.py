# forgets to rescale
def inverted_dropout(x, mask, p):
    return x * mask
