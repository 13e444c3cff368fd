# dead over the wrong axis (per example)
def dead_fraction(H):
    return (H <= 0).all(dim=1).float().mean().item()
