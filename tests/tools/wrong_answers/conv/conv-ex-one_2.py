# Wrong: flips the kernel (a true convolution, not the layers' cross-correlation)
CONV_OUT = [[3, 3], [4, 7]]
