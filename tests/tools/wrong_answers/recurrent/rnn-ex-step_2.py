# Wrong: only bias_ih added; bias_hh (-0.5 on the candidate) forgotten
i_gate, f_gate = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-1))
g_cand, o_gate = math.tanh(-0.5), 0.5
c_1 = f_gate * 0.5 + i_gate * g_cand
LSTM_STEP = {"i": i_gate, "f": f_gate, "g": g_cand, "o": o_gate, "c": c_1, "h": o_gate * math.tanh(c_1)}
