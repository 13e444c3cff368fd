# unbiased variance (divides by N - 1)
def batch_norm_train(x, eps=1e-5):
    return (x - x.mean(dim=0)) / torch.sqrt(x.var(dim=0, unbiased=True) + eps)
