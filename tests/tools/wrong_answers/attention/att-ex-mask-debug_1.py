# Wrong: the code handed out, unchanged: position t still sees position t + 1.
def causal_attention(q, k, v):
    T = q.shape[-2]
    allowed = torch.tril(torch.ones(T, T), diagonal=1)  # 1 where position t may look at position j
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(allowed == 0, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
