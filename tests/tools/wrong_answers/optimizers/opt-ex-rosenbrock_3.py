# Wrong: plain gradient descent at the largest stable rate ends near f = 5e-4: below 1e-2,
# far above 1e-6.
ROSENBROCK_SGD = {"lr": 2e-3, "momentum": 0.0}
