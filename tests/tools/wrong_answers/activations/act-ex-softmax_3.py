# Wrong: the library's softmax, by its method form, where the statement asks for torch.exp.
def stable_softmax(scores):
    return scores.softmax(0)
