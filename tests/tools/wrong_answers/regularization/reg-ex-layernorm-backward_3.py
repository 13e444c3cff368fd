# forgets gamma: uses dL/dy where dL/dx_hat is needed
def layer_norm_backward(grad_out, x_hat, invstd, gamma):
    c = x_hat.shape[1]
    return invstd / c * (c * grad_out - grad_out.sum(dim=1, keepdim=True)
                         - x_hat * (grad_out * x_hat).sum(dim=1, keepdim=True))
