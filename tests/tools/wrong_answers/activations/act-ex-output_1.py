OUTPUT_ACTIVATION = {
    "binary classification": "sigmoid",
    "multi-class classification": "softmax",
    "multi-label classification": "softmax",
    "regression": "identity",
}
