def output_size(n, k, stride=1, padding=0):
    return (n + 2 * padding - k + 1) // stride
