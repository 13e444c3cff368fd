# cosine ignores eta_min
def multistep_lr(base_lr, milestones, gamma, epoch):
    return base_lr * gamma ** sum(1 for m in milestones if m <= epoch)


def cosine_lr(base_lr, T_max, epoch, eta_min=0.0):
    return base_lr * (1 + math.cos(math.pi * epoch / T_max)) / 2
