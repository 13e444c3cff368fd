# Wrong: forgets the ReLU's mask on the way back.
class TwoLayerMSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, Y, W1, b1, W2, b2):
        A = X @ W1.T + b1
        H = A.clamp(min=0)
        Y_hat = H @ W2.T + b2
        ctx.save_for_backward(X, Y, W2, A, H, Y_hat)
        return ((Y_hat - Y) ** 2).mean()

    @staticmethod
    def backward(ctx, grad_output):
        X, Y, W2, _A, H, Y_hat = ctx.saved_tensors  # A is not needed without the mask
        dY_hat = grad_output * 2 * (Y_hat - Y) / Y.numel()
        dH = dY_hat @ W2
        dA = dH  # ReLU's derivative forgotten
        return None, None, dA.T @ X, dA.sum(0), dY_hat.T @ H, dY_hat.sum(0)
