# Wrong: the backward asks autograd for the gradients of the same formula.
class ScaleAttentionFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, s, mask):
        scores = s * (q @ k.transpose(-2, -1))  # S = s Q K^T, (*, L, L_k); s is a 0-dim tensor
        if mask is not None:
            scores = scores + mask  # + M: -inf where query i may not attend to key j
        e = torch.exp(scores - scores.amax(dim=-1, keepdim=True))  # every exponent <= 0
        attn = e / e.sum(dim=-1, keepdim=True)  # A = softmax(S) along the keys
        ctx.save_for_backward(q, k, v, s, attn)
        ctx.mask = mask
        return attn @ v  # O = A V, (*, L, E_v)

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, s, _ = ctx.saved_tensors
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_(True) for t in (q, k, v, s)]
            scores = leaves[3] * (leaves[0] @ leaves[1].transpose(-2, -1))
            if ctx.mask is not None:
                scores = scores + ctx.mask
            out = torch.softmax(scores, dim=-1) @ leaves[2]
            d_q, d_k, d_v, d_s = torch.autograd.grad(out, leaves, grad_out)
        return d_q, d_k, d_v, d_s, None
