# Wrong: forgets the kernel's size in the fans (right for Linear only).
FANS = [(784, 100), (3, 64), (4, 8)]
BOUNDS = [math.sqrt(6 / 784), math.sqrt(6 / 3), math.sqrt(6 / 4)]
