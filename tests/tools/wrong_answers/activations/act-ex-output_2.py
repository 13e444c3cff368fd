OUTPUT_ACTIVATION = {
    "binary classification": "softmax",
    "multi-class classification": "softmax",
    "multi-label classification": "sigmoid",
    "regression": "relu",
}
