# Wrong: so small a threshold that 100 steps barely move the parameters (about 0.09).
MAX_NORM = 0.001
