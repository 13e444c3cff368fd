# Wrong: keeps the sigmoid and hopes a larger learning rate makes up for its small gradients.
DEEP_SETTINGS = {"activation": "sigmoid", "lr": 3.0}
