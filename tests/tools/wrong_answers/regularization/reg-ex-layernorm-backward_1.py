# batch norm's axis: sums over the examples (dim 0), m = N
def layer_norm_backward(grad_out, x_hat, invstd, gamma):
    n = x_hat.shape[0]
    g_hat = grad_out * gamma
    return invstd / n * (n * g_hat - g_hat.sum(dim=0, keepdim=True)
                         - x_hat * (g_hat * x_hat).sum(dim=0, keepdim=True))
