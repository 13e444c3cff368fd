# Wrong: the input gradient comes from torch.nn.functional.conv_transpose2d (a library
# convolution), not from the loop over output positions
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
        grad_weight = torch.zeros_like(weight)
        for i in range(grad_output.shape[2]):
            for j in range(grad_output.shape[3]):
                window = x[:, :, i:i + kh, j:j + kw]
                grad_weight += torch.einsum("nk,ncuv->kcuv", grad_output[:, :, i, j], window)
        return torch.nn.functional.conv_transpose2d(grad_output, weight), grad_weight
