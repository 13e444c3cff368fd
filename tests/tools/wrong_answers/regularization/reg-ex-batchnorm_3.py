# Wrong: calls torch.nn.functional.batch_norm, which the statement rules out (right values)
def batch_norm_train(x, eps=1e-5):
    return torch.nn.functional.batch_norm(x, None, None, training=True, eps=eps)
