# the plain average of the batch means
def running_mean(batch_means, momentum=0.1):
    return sum(batch_means) / len(batch_means) if batch_means else 0.0
