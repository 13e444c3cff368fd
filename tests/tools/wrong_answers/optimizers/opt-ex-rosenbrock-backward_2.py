# returns df/dp and forgets the upstream gradient: right only when grad_output is all ones
class Rosenbrock(torch.autograd.Function):
    @staticmethod
    def forward(ctx, p):
        x, y = p[:, 0], p[:, 1]
        ctx.save_for_backward(x, y)
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        r = y - x**2
        df_dx = -2 * (1 - x) - 400 * x * r
        df_dy = 200 * r
        return torch.stack([df_dx, df_dy], dim=1)
