# Wrong: too large a learning rate: diverges to nan.
# plain descent (momentum 0) must keep lr below about 2e-3 and still ends near f = 5e-4;
# momentum 0.95 lets the steps build up along the valley floor
ROSENBROCK_SGD = {"lr": 3e-3, "momentum": 0.95}
