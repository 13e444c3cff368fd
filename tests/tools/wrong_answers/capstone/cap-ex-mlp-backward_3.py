# Wrong: the backward asks torch.func.vjp (autograd under another name) for the gradients
class MLPCrossEntropy(torch.autograd.Function):
    @staticmethod
    def _loss(X, W1, b1, W2, b2, y):
        Z2 = (X @ W1.T + b1).clamp(min=0) @ W2.T + b2
        return (torch.logsumexp(Z2, dim=1) - Z2[torch.arange(len(y)), y]).mean()

    @staticmethod
    def forward(ctx, X, W1, b1, W2, b2, y):
        ctx.save_for_backward(X, W1, b1, W2, b2, y)
        return MLPCrossEntropy._loss(X, W1, b1, W2, b2, y)

    @staticmethod
    def backward(ctx, grad_output):
        X, W1, b1, W2, b2, y = ctx.saved_tensors
        _, pullback = torch.func.vjp(lambda *p: MLPCrossEntropy._loss(*p, y), X, W1, b1, W2, b2)
        return (*pullback(grad_output), None)
