# Wrong: frames delta with one zero on each side ("same" padding), so dL/dx has only three values
GRAD_X = [-5, 9, -5]
GRAD_W = [-6, 13, -7]
