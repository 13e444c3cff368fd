def iterations_per_epoch(n, batch_size, drop_last=False):
    return n // batch_size + 1
