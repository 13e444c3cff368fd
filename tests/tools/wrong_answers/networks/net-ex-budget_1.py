# Wrong: a comfortable width that reaches the accuracy but breaks the budget (5 * 10 + 2 = 52 parameters).
CIRCLE_NET = {"width": 10, "lr": 0.05}
