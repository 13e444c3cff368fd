# Wrong: ignores groups: every depthwise kernel counted over all 64 input channels
CONV_PARAMS = [2_800, 156, 73_856, 576, 64 * 64 * 9 + 64]
