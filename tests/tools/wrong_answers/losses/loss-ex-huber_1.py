# forgets the 1/2 in the quadratic part
def huber(pred, target, delta=1.0):
    d = pred - target
    return torch.where(d.abs() <= delta, d**2, delta * (d.abs() - 0.5 * delta)).mean()
