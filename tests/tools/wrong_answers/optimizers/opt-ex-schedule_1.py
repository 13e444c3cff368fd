# off by one at the milestone
def multistep_lr(base_lr, milestones, gamma, epoch):
    return base_lr * gamma ** sum(1 for m in milestones if m < epoch)


def cosine_lr(base_lr, T_max, epoch, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2
