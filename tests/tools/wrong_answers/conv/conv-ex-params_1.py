# Wrong: forgets the biases (the first count copied from the statement)
CONV_PARAMS = [2_800, 6 * 1 * 25, 128 * 64 * 9, 8 * 8 * 9, 64 * 9]
