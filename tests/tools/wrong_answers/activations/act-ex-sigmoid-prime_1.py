# Wrong: sigma itself where its derivative is asked.
SIGMOID_PRIME = [1 / 2, 3 / 4, 1 / 4, 9 / 10]
