# Wrong: momentum 0.9 is not enough in 500 steps (f is about 4e-3).
# plain descent (momentum 0) must keep lr below about 2e-3 and still ends near f = 5e-4;
# momentum 0.95 lets the steps build up along the valley floor
ROSENBROCK_SGD = {"lr": 1e-3, "momentum": 0.9}
