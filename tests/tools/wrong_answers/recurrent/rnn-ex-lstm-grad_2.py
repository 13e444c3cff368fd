# Wrong: the gradient of the forget gate f taken for that of its pre-activation a_f, forgetting
# the sigmoid's derivative f (1 - f)
def sig(a):
    return 1 / (1 + math.exp(-a))


i_g, f_g, g_c, o_g = sig(2), sig(1), math.tanh(-1), sig(0)
c1 = f_g * 0.5 + i_g * g_c
dc1 = 1.0 * o_g * (1 - math.tanh(c1) ** 2)
da_f = dc1 * 0.5
LSTM_GRAD = {"c1": dc1, "a_f": da_f, "c0": dc1 * f_g, "w_hf": da_f * 0.5}
