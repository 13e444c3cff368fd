# Wrong: the backward recomputes the forward pass and lets autograd differentiate it.
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight, bias)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_output):
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_(True) for t in ctx.saved_tensors]
            x, weight, bias = leaves
            return torch.autograd.grad(x @ weight.T + bias, leaves, grad_output)
