# one bias per input channel
def conv_layer_parameters(in_channels, out_channels, k, bias=True):
    return out_channels * in_channels * k * k + (in_channels if bias else 0)
