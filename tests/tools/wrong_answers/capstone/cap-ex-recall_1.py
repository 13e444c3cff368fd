# precision and recall swapped (row and column sums)
def precision_recall(cm):
    cm = cm.double()
    d = cm.diag()
    return d / cm.sum(1).clamp_min(1), d / cm.sum(0).clamp_min(1)
