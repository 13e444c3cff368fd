# fan_in and fan_out swapped
def fans(shape):
    r = math.prod(shape[2:])
    return shape[0] * r, shape[1] * r


def kaiming_bound(shape):
    return math.sqrt(6 / fans(shape)[0])
