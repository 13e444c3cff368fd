# Wrong: the bias gradient averaged over the batch instead of summed.
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = grad_output @ weight  # [N, out] @ [out, in] -> [N, in]
        grad_weight = grad_output.T @ x  # [out, N] @ [N, in] -> [out, in]
        grad_bias = grad_output.mean(0)  # b is added to every row
        return grad_x, grad_weight, grad_bias
        ### END SOLUTION
