# dampened buffer (an exponential average): not torch's SGD momentum
def momentum_step(params, grads, buffers, lr, momentum):
    out = []
    with torch.no_grad():
        for p, g, b in zip(params, grads, buffers):
            b = g.clone() if b is None else momentum * b + (1 - momentum) * g
            p -= lr * b
            out.append(b)
    return out
