# one bias per input instead of per output
def mlp_parameters(sizes):
    return sum(a * b + a for a, b in zip(sizes[:-1], sizes[1:]))
