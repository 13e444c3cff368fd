# Wrong: the backward asks autograd for the gradients of torch's own attention.
class AttentionFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, mask, scale):
        scores = scale * (q @ k.transpose(-2, -1))  # S = s Q K^T, (*, L, L_k)
        if mask is not None:
            scores = scores + mask  # + M: -inf where query i may not attend to key j
        e = torch.exp(scores - scores.amax(dim=-1, keepdim=True))  # every exponent <= 0
        attn = e / e.sum(dim=-1, keepdim=True)  # A = softmax(S) along the keys
        ctx.save_for_backward(q, k, v, attn)
        ctx.mask, ctx.scale = mask, scale
        return attn @ v  # O = A V, (*, L, E_v)

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, _ = ctx.saved_tensors
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_(True) for t in (q, k, v)]
            out = torch.nn.functional.scaled_dot_product_attention(*leaves, attn_mask=ctx.mask,
                                                                   scale=ctx.scale)
            d_q, d_k, d_v = torch.autograd.grad(out, leaves, grad_out)
        return d_q, d_k, d_v, None, None
