# Wrong: three lines make only a triangle around the circle: about 97 %.
CIRCLE_NET = {"width": 3, "lr": 0.05}
