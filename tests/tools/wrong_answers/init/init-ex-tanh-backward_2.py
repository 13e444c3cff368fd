# averages the bias gradient over the batch instead of summing it
class LinearTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        a = torch.tanh(x @ weight.T + bias)
        ctx.save_for_backward(x, weight, a)
        return a

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, a = ctx.saved_tensors
        grad_z = grad_output * (1 - a**2)
        return grad_z @ weight, grad_z.T @ x, grad_z.mean(0)
