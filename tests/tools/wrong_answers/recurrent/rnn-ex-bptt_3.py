# Wrong: the backward asks torch.func.vjp (autograd under another name) for the gradients
class RNNFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, W_xh, W_hh, b):
        ctx.save_for_backward(x, h0, W_xh, W_hh, b)
        return RNNFunction._states(x, h0, W_xh, W_hh, b)

    @staticmethod
    def _states(x, h0, W_xh, W_hh, b):
        h, hs = h0, []
        for t in range(x.shape[0]):
            h = torch.tanh(x[t] @ W_xh.T + h @ W_hh.T + b)
            hs.append(h)
        return torch.stack(hs)

    @staticmethod
    def backward(ctx, grad_hs):
        _, pullback = torch.func.vjp(RNNFunction._states, *ctx.saved_tensors)
        return pullback(grad_hs)
