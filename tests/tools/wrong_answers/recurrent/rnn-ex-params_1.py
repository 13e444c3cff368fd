# Wrong: one bias vector per gate (b_ih only), as in the textbook equations; torch keeps two
RNN_PARAMS = {"lstm": 4 * (128 * 32 + 128 * 128 + 128), "gru": 3 * (128 * 32 + 128 * 128 + 128),
              "lstm_2_layers": 4 * (128 * 32 + 128 * 128 + 128) + 4 * (128 * 128 + 128 * 128 + 128)}
