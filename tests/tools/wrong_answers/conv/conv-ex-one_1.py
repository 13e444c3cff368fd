# Wrong: forgets the bias
CONV_OUT = [[6, 4], [1, 4]]
