def xavier_std(fan_in, fan_out, gain=1.0):
    return gain * math.sqrt(1 / (fan_in + fan_out))
