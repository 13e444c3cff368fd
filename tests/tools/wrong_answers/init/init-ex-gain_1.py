# Wrong: PyTorch's table value for tanh: the pre-activations settle at 1.14.
TANH_GAIN = 5 / 3
