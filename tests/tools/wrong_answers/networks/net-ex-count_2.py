# Wrong: one bias per input instead of per output (n_in * n_out + n_in).
PARAMETER_COUNTS = [26, 784 * 500 + 784 + 500 * 10 + 500, 13 * 7 + 13 + 7 * 5 + 7 + 5 * 2 + 5,
                    2 * 16 + 2 + 3 * (16 * 16 + 16) + 16 * 2 + 16, 10 + 10]
