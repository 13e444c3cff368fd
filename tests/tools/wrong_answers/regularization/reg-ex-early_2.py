# compares with the previous epoch, not the best so far
def stopping_epoch(val_losses, patience):
    prev, waited = float('inf'), 0
    for epoch, loss in enumerate(val_losses):
        if loss < prev:
            waited = 0
        else:
            waited += 1
            if waited > patience:
                return epoch
        prev = loss
    return None
