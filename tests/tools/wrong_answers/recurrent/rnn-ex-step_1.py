# gates in the order i, g, f, o (not torch's i, f, g, o)
def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, g, f, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new
