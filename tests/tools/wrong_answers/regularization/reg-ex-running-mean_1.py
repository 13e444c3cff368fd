# momentum on the old value
def running_mean(batch_means, momentum=0.1):
    value = 0.0
    for mu in batch_means:
        value = momentum * value + (1 - momentum) * mu
    return value
