# Wrong: fixes both bugs by calling torch's tanh under another name, which the statement forbids.
from torch import tanh as _th


class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = _th(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * (1 - t**2)
