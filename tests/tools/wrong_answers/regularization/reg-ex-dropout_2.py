# scales by p instead of 1 - p
def inverted_dropout(x, mask, p):
    return x * mask / p
