# Wrong: a stable forward, but the backward asks autograd for the derivative (through an alias,
# so the word "autograd" is nowhere in backward's source).
from torch.autograd import grad as _grad


class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        e = torch.exp(-x.abs())
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            xr = x.detach().requires_grad_(True)
            return _grad(torch.sigmoid(xr), xr, grad_output)
