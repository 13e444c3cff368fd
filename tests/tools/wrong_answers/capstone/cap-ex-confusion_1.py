# rows are predictions, columns targets (transposed)
def confusion(predictions, targets, num_classes):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for p, t in zip(predictions.tolist(), targets.tolist()):
        cm[p, t] += 1
    return cm
