# sized by the classes seen, not num_classes
def confusion(predictions, targets, num_classes):
    n = int(max(predictions.max(), targets.max())) + 1
    cm = torch.zeros(n, n, dtype=torch.int64)
    for p, t in zip(predictions.tolist(), targets.tolist()):
        cm[t, p] += 1
    return cm
