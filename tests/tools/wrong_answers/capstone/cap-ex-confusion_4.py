# Wrong: calls scikit-learn's confusion_matrix, which the statement rules out
from sklearn.metrics import confusion_matrix


def confusion(predictions, targets, num_classes):
    cm = confusion_matrix(targets.numpy(), predictions.numpy(), labels=list(range(num_classes)))
    return torch.as_tensor(cm, dtype=torch.int64)
