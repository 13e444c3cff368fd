# flips the kernel (true convolution, not torch's cross-correlation)
def conv_at(image, kernel, bias, i, j):
    k = kernel.shape[0]
    return (image[i:i + k, j:j + k] * kernel.flip(0, 1)).sum().item() + bias
