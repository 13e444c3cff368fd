# Wrong: the second convolution's kernels counted as 3 x 3 only, forgetting its 16 input channels
CNN_COUNTS = {"conv1": (160, 9_216), "conv2": (32 * 9 + 32, 32 * 4 * 4 * 9), "linear": (1_290, 1_280)}
