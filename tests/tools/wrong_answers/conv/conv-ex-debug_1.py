# Wrong: fixes the forward pass only; the backward still reads grad_output with a plain reshape,
# so on a batch the gradients pair images with the wrong output channels.
class Conv2dIm2col(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        N, _, H, W = x.shape
        C_out, _, k_h, k_w = weight.shape
        H_out, W_out = H - k_h + 1, W - k_w + 1
        X_cols = im2col(x, (k_h, k_w), (1, 1), (1, 1), (H_out, W_out))
        Y = weight.reshape(C_out, -1) @ X_cols
        ctx.save_for_backward(X_cols, weight)
        ctx.x_shape = x.shape
        return Y.reshape(C_out, N, H_out, W_out).permute(1, 0, 2, 3)

    @staticmethod
    def backward(ctx, grad_output):
        X_cols, weight = ctx.saved_tensors
        C_out, _, k_h, k_w = weight.shape
        H_out, W_out = grad_output.shape[2:]
        delta = grad_output.reshape(C_out, -1)
        grad_weight = (delta @ X_cols.T).reshape(weight.shape)
        grad_cols = weight.reshape(C_out, -1).T @ delta
        grad_x = col2im(grad_cols, ctx.x_shape, (k_h, k_w), (1, 1), (1, 1), (H_out, W_out))
        return grad_x, grad_weight
