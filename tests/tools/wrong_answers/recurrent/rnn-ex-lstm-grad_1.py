# Wrong: the gradient through h_1 = o tanh(c_1) taken as o alone, forgetting tanh's derivative
# 1 - tanh(c_1)^2
def sig(a):
    return 1 / (1 + math.exp(-a))


f_g, o_g = sig(1), sig(0)
dc1 = 1.0 * o_g
da_f = dc1 * 0.5 * f_g * (1 - f_g)
LSTM_GRAD = {"c1": dc1, "a_f": da_f, "c0": dc1 * f_g, "w_hf": da_f * 0.5}
