# betas swapped between the two moments
def adam_first_steps(w0, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    b2, b1 = betas
    w, m, v, out = w0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        out.append(w)
    return out
