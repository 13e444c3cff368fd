# linear part without the offset
def huber(pred, target, delta=1.0):
    d = pred - target
    return torch.where(d.abs() <= delta, 0.5 * d**2, delta * d.abs()).mean()
