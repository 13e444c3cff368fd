# forgets the input channels
def conv_layer_parameters(in_channels, out_channels, k, bias=True):
    return out_channels * k * k + (out_channels if bias else 0)
