# Wrong: switches to evaluation mode but never back (the training loop then trains without dropout
# and with frozen batch-norm statistics), and still averages the batch means over len(X) // batch_size.
def evaluate(model, X, y, batch_size=100):
    model.eval()
    total_loss, correct = 0.0, 0
    for i in range(0, len(X), batch_size):
        logits = model(X[i:i + batch_size])
        total_loss += torch.nn.functional.cross_entropy(logits, y[i:i + batch_size]).item()
        correct += (logits.argmax(1) == y[i:i + batch_size]).sum().item()
    return total_loss / (len(X) // batch_size), correct / len(X)
