# the standard deviation instead of the root mean square
def empirical_gain(f, n=200_000):
    z = torch.randn(n, dtype=torch.float64)
    return 1 / f(z).std().item()
