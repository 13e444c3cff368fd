# Wrong: treats the mean and variance as constants: dx = gamma G / std.
class BatchNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, gamma, beta, eps=1e-5):
        mu = x.mean(0)
        var = ((x - mu) ** 2).mean(0)  # biased: divide by N, as batch norm normalizes
        inv_std = 1 / torch.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
        ctx.save_for_backward(x_hat, gamma, inv_std)
        return gamma * x_hat + beta

    @staticmethod
    def backward(ctx, grad_output):
        x_hat, gamma, inv_std = ctx.saved_tensors
        grad_gamma = (grad_output * x_hat).sum(0)
        grad_beta = grad_output.sum(0)
        g = grad_output * gamma  # dL/dx_hat
        grad_x = g * inv_std
        return grad_x, grad_gamma, grad_beta, None
        ### END SOLUTION
