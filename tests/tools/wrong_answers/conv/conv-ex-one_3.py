# Wrong: one list per output column instead of per row (the output transposed)
CONV_OUT = [[7, 2], [5, 5]]
