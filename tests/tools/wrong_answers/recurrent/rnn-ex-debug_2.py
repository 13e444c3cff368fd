# Wrong: fixes the layout, but still clips after the step, when the gradients are already used.
def train_rnn(rnn, head, X, y, steps=50, lr=0.1, max_norm=1.0):
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(params, lr=lr)
    losses = []
    for _ in range(steps):
        out, _ = rnn(X.transpose(0, 1))
        loss = ((head(out[-1]) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        clip_grad_norm_(params, max_norm)
        losses.append(loss.item())
    return losses
