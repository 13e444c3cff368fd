# Wrong: uses sigma(f) where dL/df = sigma'(f) = sigma(f) (1 - sigma(f)) is needed.
GRADS = (0.7311 * 0.5, 0.7311 * 0.5, 0.7311 * 2)
