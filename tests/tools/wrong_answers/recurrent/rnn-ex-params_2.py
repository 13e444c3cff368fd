# three gates
def lstm_parameters(input_size, hidden_size, bias=True):
    return 3 * (hidden_size * input_size + hidden_size * hidden_size + (2 * hidden_size if bias else 0))
