# Wrong: the future blocked with triu(diagonal=0), which blocks the diagonal too: no position
# sees itself, and position 0, which sees nothing, gets NaN.
def causal_attention(q, k, v):
    T = q.shape[-2]
    blocked = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=0)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(blocked, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
