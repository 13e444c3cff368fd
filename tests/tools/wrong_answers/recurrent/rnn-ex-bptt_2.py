# Wrong: the tanh derivative at the previous state.
class RNNFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, W_xh, W_hh, b):
        h, hs = h0, []
        for t in range(x.shape[0]):
            h = torch.tanh(x[t] @ W_xh.T + h @ W_hh.T + b)
            hs.append(h)
        hs = torch.stack(hs)  # [T, N, H]
        ctx.save_for_backward(x, h0, W_xh, W_hh, b, hs)
        return hs

    @staticmethod
    def backward(ctx, grad_hs):
        x, h0, W_xh, W_hh, b, hs = ctx.saved_tensors
        grad_x = torch.zeros_like(x)
        grad_W_xh, grad_W_hh, grad_b = torch.zeros_like(W_xh), torch.zeros_like(W_hh), torch.zeros_like(b)
        dh = torch.zeros_like(h0)  # dL/dh_t arriving from step t + 1
        for t in reversed(range(x.shape[0])):
            dh = dh + grad_hs[t]  # ... plus what arrives from the output at step t
            h_prev = hs[t - 1] if t > 0 else h0
            da = dh * (1 - h_prev ** 2)
            grad_x[t] = da @ W_xh
            grad_W_xh += da.T @ x[t]
            grad_W_hh += da.T @ h_prev
            grad_b += da.sum(0)
            dh = da @ W_hh  # on to h_{t-1}
        return grad_x, dh, grad_W_xh, grad_W_hh, grad_b
        ### END SOLUTION
