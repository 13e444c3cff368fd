# Wrong: 1/sqrt(E) written in the backward instead of the scale the forward was given.
class AttentionFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, mask, scale):
        scores = scale * (q @ k.transpose(-2, -1))  # S = s Q K^T, (*, L, L_k)
        if mask is not None:
            scores = scores + mask  # + M: -inf where query i may not attend to key j
        e = torch.exp(scores - scores.amax(dim=-1, keepdim=True))  # every exponent <= 0
        attn = e / e.sum(dim=-1, keepdim=True)  # A = softmax(S) along the keys
        ctx.save_for_backward(q, k, v, attn)
        ctx.scale = scale
        return attn @ v  # O = A V, (*, L, E_v)

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, attn = ctx.saved_tensors
        s = 1 / math.sqrt(q.shape[-1])
        d_v = attn.transpose(-2, -1) @ grad_out
        d_attn = grad_out @ v.transpose(-2, -1)
        d_scores = attn * (d_attn - (d_attn * attn).sum(dim=-1, keepdim=True))
        return s * d_scores @ k, s * d_scores.transpose(-2, -1) @ q, d_v, None, None
