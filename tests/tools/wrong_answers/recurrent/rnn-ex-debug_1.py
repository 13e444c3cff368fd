# Wrong: silences the shape error by taking the last "sequence" instead of transposing: the RNN
# still runs along the batch axis (the clipping is fixed).
def train_rnn(rnn, head, X, y, steps=50, lr=0.1, max_norm=1.0):
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(params, lr=lr)
    losses = []
    for _ in range(steps):
        out, _ = rnn(X)
        loss = ((head(out[:, -1]) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(params, max_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses
