# Wrong: the gates taken in the order (i, f, o, g): the third row read as the output gate
i_gate, f_gate = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-1))
o_gate, g_cand = 1 / (1 + math.exp(1)), math.tanh(0)
c_1 = f_gate * 0.5 + i_gate * g_cand
LSTM_STEP = {"i": i_gate, "f": f_gate, "g": g_cand, "o": o_gate, "c": c_1, "h": o_gate * math.tanh(c_1)}
