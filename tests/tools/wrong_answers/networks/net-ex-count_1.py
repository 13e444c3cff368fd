# Wrong: counts the weights only, forgetting every layer's biases.
PARAMETER_COUNTS = [3 * 3 + 3 * 2 + 2 * 2, 784 * 500 + 500 * 10, 13 * 7 + 7 * 5 + 5 * 2,
                    2 * 16 + 3 * 16 * 16 + 16 * 2, 10]
