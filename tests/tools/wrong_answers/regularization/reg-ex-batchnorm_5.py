# Wrong: torch's own batch-norm kernel (torch.native_batch_norm, not under torch.nn), which the
# statement rules out with every other normalization of torch (right values)
def batch_norm_train(x, eps=1e-5):
    return torch.native_batch_norm(x, None, None, None, None, True, 0.1, eps)[0]
