# Wrong: the forward pass borrows the appendix's threaded convolution (nnbasics.fast), a library
# convolution the statement rules out, instead of the loop over output positions (right values)
from nnbasics.fast.threads import threaded_conv2d


class Conv2dNaive(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return threaded_conv2d(x, weight)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        kh, kw = weight.shape[2:]
        grad_x, grad_weight = torch.zeros_like(x), torch.zeros_like(weight)
        for i in range(grad_output.shape[2]):
            for j in range(grad_output.shape[3]):
                g = grad_output[:, :, i, j]
                grad_x[:, :, i:i + kh, j:j + kw] += torch.einsum("nk,kcuv->ncuv", g, weight)
                grad_weight += torch.einsum("nk,ncuv->kcuv", g, x[:, :, i:i + kh, j:j + kw])
        return grad_x, grad_weight
