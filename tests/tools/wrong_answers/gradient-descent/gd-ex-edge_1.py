# Wrong: stops at the first rate that converges nicely, half the edge (1.05 times it converges too).
LR_EDGE = 0.0237
