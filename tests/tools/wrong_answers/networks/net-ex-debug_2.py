# Wrong: makes b1 a parameter and "fixes" the shape error by dropping the transpose in forward,
# so W1 stays [n_in, n_hidden], not PyTorch's [n_out, n_in].
class TwoLayerNet(torch.nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.W1 = torch.nn.Parameter(0.1 * torch.randn(n_in, n_hidden))
        self.b1 = torch.nn.Parameter(torch.zeros(n_hidden))
        self.W2 = torch.nn.Parameter(0.1 * torch.randn(n_out, n_hidden))
        self.b2 = torch.nn.Parameter(torch.zeros(n_out))

    def forward(self, X):
        H = torch.relu(X @ self.W1 + self.b1)
        return H @ self.W2.T + self.b2
