# Wrong: FLOPs (a multiply and an add: 2 per MAC) where multiply-accumulates are asked
CNN_COUNTS = {"conv1": (160, 2 * 9_216), "conv2": (4_640, 2 * 73_728), "linear": (1_290, 2 * 1_280)}
