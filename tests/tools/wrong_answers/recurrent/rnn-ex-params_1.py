# one bias vector per gate, not two
def lstm_parameters(input_size, hidden_size, bias=True):
    return 4 * (hidden_size * input_size + hidden_size * hidden_size + (hidden_size if bias else 0))
