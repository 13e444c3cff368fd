# Wrong: fixes both bugs by calling the course's own stable tanh (shown in the chapter), which the
# statement forbids as it forbids torch.tanh.
from nnbasics.activations import _stable_tanh


class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = _stable_tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * (1 - t**2)
