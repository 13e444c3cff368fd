# stops as soon as waited reaches patience
def stopping_epoch(val_losses, patience):
    best, waited = float('inf'), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, waited = loss, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch
    return None
