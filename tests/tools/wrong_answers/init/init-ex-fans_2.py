# forgets the receptive field
def fans(shape):
    return shape[1], shape[0]


def kaiming_bound(shape):
    return math.sqrt(6 / fans(shape)[0])
