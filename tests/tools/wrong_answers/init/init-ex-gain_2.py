# the rms itself, not its inverse
def empirical_gain(f, n=200_000):
    z = torch.randn(n, dtype=torch.float64)
    return math.sqrt(f(z).pow(2).mean().item())
