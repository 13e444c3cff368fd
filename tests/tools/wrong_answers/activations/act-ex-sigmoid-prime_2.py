# Wrong: takes sigma' to be odd, like sigma - 1/2: a negative slope left of 0.
SIGMOID_PRIME = [1 / 4, 3 / 16, -3 / 16, 9 / 100]
