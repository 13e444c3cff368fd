# Wrong: the ReLU with a learning rate so large that the first steps kill the units.
DEEP_SETTINGS = {"activation": "relu", "lr": 3.0}
