# adds zero_grad but keeps stepping the schedule after every batch
def train_scheduled(X, y, epochs=20, batch_size=16):
    torch.manual_seed(0)
    model = torch.nn.Linear(X.shape[1], 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        for batch in torch.randperm(len(X)).split(batch_size):
            opt.zero_grad()
            loss = ((model(X[batch]) - y[batch]) ** 2).mean()
            loss.backward()
            opt.step()
            scheduler.step()
    return model, lrs
