# Wrong: the second layer counted like the first, as if it read the 32 inputs again
RNN_PARAMS = {"lstm": 82_944, "gru": 62_208, "lstm_2_layers": 2 * 82_944}
