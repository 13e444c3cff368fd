# Wrong: the kernel's gradient as a convolution of x with delta (delta reversed) instead of a correlation
GRAD_X = [2, -5, 9, -5, 3]
GRAD_W = [-2, 11, -9]
