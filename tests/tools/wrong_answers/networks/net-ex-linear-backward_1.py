# Wrong: the weight gradient transposed: x^T G has shape [in, out].
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = grad_output @ weight  # [N, out] @ [out, in] -> [N, in]
        grad_weight = x.T @ grad_output  # [out, N] @ [N, in] -> [out, in]
        grad_bias = grad_output.sum(0)  # b is added to every row
        return grad_x, grad_weight, grad_bias
        ### END SOLUTION
