# Wrong: right values, but torch's Huber loss does the work the statement asks for.
def huber(pred, target, delta=1.0):
    return torch.nn.HuberLoss(delta=delta)(pred, target)
