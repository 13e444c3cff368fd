# counts dead entries, not dead units
def dead_fraction(H):
    return (H <= 0).float().mean().item()
