# Wrong: a gain of 1 (Xavier's default): the signal fades through 30 tanh layers.
TANH_GAIN = 1.0
