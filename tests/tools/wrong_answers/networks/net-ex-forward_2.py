# forgets the bias
def dense_forward(X, W, b):
    return X @ W.T
