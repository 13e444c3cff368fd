# Wrong: swaps the multiply gate's gradients (dL/dq = dL/df * q, dL/dz = dL/df * z).
GRADS = (0.1966 * 2, 0.1966 * 2, 0.1966 * 0.5)
