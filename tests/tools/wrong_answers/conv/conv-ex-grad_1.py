# Wrong: slides the kernel over the framed delta without flipping it
GRAD_X = [1, -3, 7, -7, 6]
GRAD_W = [-6, 13, -7]
