# Wrong: too little regularization: the network still memorizes the flipped labels (about 0.85).
REGULARIZE = {"l2": 0.001, "p": 0.0}
