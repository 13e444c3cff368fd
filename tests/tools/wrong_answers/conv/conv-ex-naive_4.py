# Wrong: torch's 3-d convolution on a depth-1 volume, and torch.nn.grad's 3-d gradients: right
# values, but library convolutions, which the statement rules out (conv2d's were the only ones
# forbidden before)
class Conv2dNaive(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return torch.nn.functional.conv3d(x.unsqueeze(2), weight.unsqueeze(2)).squeeze(2)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        x3, w3, g3 = x.unsqueeze(2), weight.unsqueeze(2), grad_output.unsqueeze(2)
        grad_x = torch.nn.grad.conv3d_input(x3.shape, w3, g3).squeeze(2)
        grad_w = torch.nn.grad.conv3d_weight(x3, w3.shape, g3).squeeze(2)
        return grad_x, grad_w
