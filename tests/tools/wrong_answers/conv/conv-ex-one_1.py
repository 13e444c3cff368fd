# forgets the bias
def conv_at(image, kernel, bias, i, j):
    k = kernel.shape[0]
    return (image[i:i + k, j:j + k] * kernel).sum().item()
