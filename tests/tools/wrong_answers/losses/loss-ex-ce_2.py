# sums instead of averaging over the batch
def cross_entropy_from_logits(logits, targets):
    s = logits - logits.max(dim=1, keepdim=True).values
    lse = torch.log(torch.exp(s).sum(dim=1))
    return (lse - s[torch.arange(len(targets)), targets]).sum()
