# Wrong: forgets the upstream gradient: right only when grad_output is all ones.
class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        e = torch.exp(-x.abs())  # in (0, 1]: never overflows
        s = torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return s * (1 - s)  # the chain rule: upstream gradient times sigma'(x)
        ### END SOLUTION
