# Wrong: fixes the backward (saves tanh(x)) but keeps the forward that overflows: nan at |x| = 1000.
class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * (1 - t**2)
