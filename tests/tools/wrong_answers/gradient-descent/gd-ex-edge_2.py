# Wrong: 2 / a with a = 25, the variance of the widest feature, forgetting the 2 in the gradient
# of the squared error: twice the edge, it diverges.
LR_EDGE = 0.08
