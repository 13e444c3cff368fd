# Wrong: right values, but autograd computes the gradient the statement asks to derive.
def ce_gradient(logits, targets):
    z = logits.detach().clone().requires_grad_(True)
    shifted = z - z.max(dim=1, keepdim=True).values
    loss = (torch.log(torch.exp(shifted).sum(dim=1)) - shifted[torch.arange(len(targets)), targets]).mean()
    loss.backward()
    return z.grad
