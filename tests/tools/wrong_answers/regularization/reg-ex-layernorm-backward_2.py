# forgets the path through the variance (the x_hat * sum(g_hat * x_hat) term)
def layer_norm_backward(grad_out, x_hat, invstd, gamma):
    c = x_hat.shape[1]
    g_hat = grad_out * gamma
    return invstd / c * (c * g_hat - g_hat.sum(dim=1, keepdim=True))
