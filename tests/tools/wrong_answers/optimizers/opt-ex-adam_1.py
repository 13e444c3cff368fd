# no bias correction
def adam_first_steps(w0, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    w, m, v, out = w0, 0.0, 0.0, []
    for g in grads:
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * m / (math.sqrt(v) + eps)
        out.append(w)
    return out
