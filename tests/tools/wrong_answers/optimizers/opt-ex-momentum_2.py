# the first buffer starts at zero instead of the gradient
def momentum_step(params, grads, buffers, lr, momentum):
    out = []
    with torch.no_grad():
        for p, g, b in zip(params, grads, buffers):
            b = (1 - momentum) * g if b is None else momentum * b + g
            p -= lr * b
            out.append(b)
    return out
