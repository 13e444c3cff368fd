# the textbook formula: overflows to nan at x = -1000
def sigmoid_prime(x):
    e = torch.exp(-x)
    return e / (1 + e) ** 2
