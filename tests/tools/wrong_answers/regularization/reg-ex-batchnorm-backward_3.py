# Wrong: the backward asks torch.func.vjp (autograd under another name) for the gradients
class BatchNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, gamma, beta, eps=1e-5):
        ctx.save_for_backward(x, gamma, beta)
        ctx.eps = eps
        mu = x.mean(0)
        var = ((x - mu) ** 2).mean(0)
        return gamma * (x - mu) / torch.sqrt(var + eps) + beta

    @staticmethod
    def backward(ctx, grad_output):
        x, gamma, beta = ctx.saved_tensors

        def f(x, gamma, beta):
            mu = x.mean(0)
            return gamma * (x - mu) / torch.sqrt(((x - mu) ** 2).mean(0) + ctx.eps) + beta

        _, pullback = torch.func.vjp(f, x, gamma, beta)
        return (*pullback(grad_output), None)
