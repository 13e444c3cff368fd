# Wrong: the loss stays finite with this threshold, but the steps are still too long (about 0.3).
MAX_NORM = 1.0
