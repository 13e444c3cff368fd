# keep probability passed as the drop probability
def regularized_mlp(in_features, hidden, out_features, p):
    return nn.Sequential(Linear(in_features, hidden), BatchNorm1d(hidden), ReLU(), Dropout(1 - p),
                         Linear(hidden, out_features))
