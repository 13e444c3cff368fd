# Wrong: calls the course's own batch norm (nnbasics.regularization.batch_norm), also ruled out
def batch_norm_train(x, eps=1e-5):
    return R.batch_norm(x, None, None, training=True, eps=eps)
