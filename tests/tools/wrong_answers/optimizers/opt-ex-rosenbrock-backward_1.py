# drops the 2 of d(x^2)/dx = 2x in the chain rule: 100 * 2r * (-x) instead of 100 * 2r * (-2x)
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
        df_dx = -2 * (1 - x) - 200 * x * r
        df_dy = 200 * r
        return grad_output.unsqueeze(1) * torch.stack([df_dx, df_dy], dim=1)
