# forgets the biases
def mlp_parameters(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
