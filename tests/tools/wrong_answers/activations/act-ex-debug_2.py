# Wrong: a stable forward, but the backward drops the upstream gradient (right only for ones).
class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        e = torch.exp(-2 * x.abs())
        t = torch.where(x < 0, -(1 - e) / (1 + e), (1 - e) / (1 + e))
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return 1 - t**2
