# nan for a class never predicted
def precision_recall(cm):
    cm = cm.double()
    d = cm.diag()
    return d / cm.sum(0), d / cm.sum(1)
