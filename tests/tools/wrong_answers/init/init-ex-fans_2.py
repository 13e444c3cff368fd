# Wrong: the right fans, but Xavier's bound sqrt(6 / (fan_in + fan_out)) where Kaiming's is asked.
FANS = [(784, 100), (27, 576), (20, 40)]
BOUNDS = [math.sqrt(6 / 884), math.sqrt(6 / 603), math.sqrt(6 / 60)]
