# Wrong: the mask not fixed but the function replaced by torch's attention.
def causal_attention(q, k, v):
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
