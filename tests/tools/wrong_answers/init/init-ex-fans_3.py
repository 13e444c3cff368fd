# Wrong: the right fans, and Kaiming's standard deviation sqrt(2 / fan_in) taken for the bound.
FANS = [(784, 100), (27, 576), (20, 40)]
BOUNDS = [math.sqrt(6 / 784), math.sqrt(2 / 27), math.sqrt(2 / 20)]
