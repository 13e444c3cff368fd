def iterations_per_epoch(n, batch_size, drop_last=False):
    return math.ceil(n / batch_size) if drop_last else n // batch_size
