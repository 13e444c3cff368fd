# Wrong: calls the course's nnbasics.capstone.confusion_matrix, which the statement rules out
def confusion(predictions, targets, num_classes):
    return K.confusion_matrix(predictions, targets, num_classes)
