# Wrong: fixes the layout of W1 but leaves b1 a plain tensor: it is no parameter and never trained.
class TwoLayerNet(torch.nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.W1 = torch.nn.Parameter(0.1 * torch.randn(n_hidden, n_in))
        self.b1 = torch.zeros(n_hidden)
        self.W2 = torch.nn.Parameter(0.1 * torch.randn(n_out, n_hidden))
        self.b2 = torch.nn.Parameter(torch.zeros(n_out))

    def forward(self, X):
        H = torch.relu(X @ self.W1.T + self.b1)
        return H @ self.W2.T + self.b2
