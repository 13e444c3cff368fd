# Wrong: overwrites the input gradient instead of accumulating over overlapping windows.
class Conv2dNaive(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        n, _, h, w = x.shape
        k, _, kh, kw = weight.shape
        out = x.new_zeros(n, k, h - kh + 1, w - kw + 1)
        for i in range(h - kh + 1):
            for j in range(w - kw + 1):
                window = x[:, :, i:i + kh, j:j + kw]  # [N, C, kh, kw]
                out[:, :, i, j] = (window.unsqueeze(1) * weight).sum((2, 3, 4))  # [N, K]
        ctx.save_for_backward(x, weight)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        kh, kw = weight.shape[2:]
        grad_x, grad_weight = torch.zeros_like(x), torch.zeros_like(weight)
        for i in range(grad_output.shape[2]):
            for j in range(grad_output.shape[3]):
                g = grad_output[:, :, i, j]  # [N, K]
                grad_x[:, :, i:i + kh, j:j + kw] = torch.einsum("nk,kcuv->ncuv", g, weight)
                grad_weight += torch.einsum("nk,ncuv->kcuv", g, x[:, :, i:i + kh, j:j + kw])
        return grad_x, grad_weight
        ### END SOLUTION
