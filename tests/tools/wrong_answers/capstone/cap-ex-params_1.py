# Wrong: the convolutions' MACs counted on the pooled maps (4 x 4 and 2 x 2), not on the maps
# each convolution outputs (8 x 8 and 4 x 4)
CNN_COUNTS = {"conv1": (160, 16 * 4 * 4 * 9), "conv2": (4_640, 32 * 2 * 2 * 16 * 9), "linear": (1_290, 1_280)}
