# dropout before the activation, batch norm after it
def regularized_mlp(in_features, hidden, out_features, p):
    return nn.Sequential(Linear(in_features, hidden), ReLU(), BatchNorm1d(hidden), Dropout(p),
                         Linear(hidden, out_features))
