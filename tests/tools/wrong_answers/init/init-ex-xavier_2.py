def xavier_std(fan_in, fan_out, gain=1.0):
    return math.sqrt(2 / (fan_in + fan_out))
