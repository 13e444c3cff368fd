# Wrong: divides by N instead of N * O.
def mlp_backward(X, Y, W1, b1, W2, b2):
    A = X @ W1.T + b1  # [N, H]
    H = A.clamp(min=0)
    Y_hat = H @ W2.T + b2  # [N, O]
    loss = ((Y_hat - Y) ** 2).mean()
    dY_hat = 2 * (Y_hat - Y) / Y.shape[0]  # the mean is over N * O elements
    dW2 = dY_hat.T @ H
    db2 = dY_hat.sum(0)
    dH = dY_hat @ W2
    dA = dH * (A > 0)  # ReLU's derivative: 1 where A > 0, else 0
    dW1 = dA.T @ X
    db1 = dA.sum(0)
    return loss.item(), dW1, db1, dW2, db2
    ### END SOLUTION
