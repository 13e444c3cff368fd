# Wrong: runs the course's own Adam (nnbasics.optim.Adam) instead of the arithmetic
from nnbasics import optim as course_optim


def adam_first_steps(w0, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    w = torch.tensor([w0], dtype=torch.float64, requires_grad=True)
    opt = course_optim.Adam([w], lr=lr, betas=betas, eps=eps)
    out = []
    for g in grads:
        w.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        out.append(w.item())
    return out
