# Wrong: the triangle flipped: triu keeps the future and hides the past.
def causal_attention(q, k, v):
    T = q.shape[-2]
    allowed = torch.triu(torch.ones(T, T), diagonal=0)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(allowed == 0, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
