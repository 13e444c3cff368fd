# Wrong: the chapter's backward copied, which has no gradient for the scale: ds is None.
class ScaleAttentionFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, s, mask):
        scores = s * (q @ k.transpose(-2, -1))  # S = s Q K^T, (*, L, L_k); s is a 0-dim tensor
        if mask is not None:
            scores = scores + mask  # + M: -inf where query i may not attend to key j
        e = torch.exp(scores - scores.amax(dim=-1, keepdim=True))  # every exponent <= 0
        attn = e / e.sum(dim=-1, keepdim=True)  # A = softmax(S) along the keys
        ctx.save_for_backward(q, k, v, s, attn)
        return attn @ v  # O = A V, (*, L, E_v)

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, s, attn = ctx.saved_tensors
        d_v = attn.transpose(-2, -1) @ grad_out
        d_attn = grad_out @ v.transpose(-2, -1)
        d_scores = attn * (d_attn - (d_attn * attn).sum(dim=-1, keepdim=True))
        d_q = s * d_scores @ k
        d_k = s * d_scores.transpose(-2, -1) @ q
        return d_q, d_k, d_v, None, None
