def output_size(n, k, stride=1, padding=0):
    return (n + padding - k) // stride + 1
