# Wrong: the backward recomputes the layer and lets autograd differentiate it.
class LinearTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight, bias)
        return torch.tanh(x @ weight.T + bias)

    @staticmethod
    def backward(ctx, grad_output):
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_(True) for t in ctx.saved_tensors]
            x, weight, bias = leaves
            torch.tanh(x @ weight.T + bias).backward(grad_output)
        return tuple(t.grad for t in leaves)
