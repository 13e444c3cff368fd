# keeps the default initialization but also the softmax: the loss cannot go below ln(1 + 9/e) = 1.461
def overfit_small(X, y, steps=100):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10),
                              torch.nn.Softmax(dim=1))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(X), y)
        loss.backward()
        opt.step()
        history.append(loss.item())
    return net, history
