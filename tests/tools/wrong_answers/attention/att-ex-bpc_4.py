# Wrong: over the budget: a wider, deeper model trained for longer than 200 steps.
LM_CONFIG = {"d_model": 128, "num_heads": 4, "num_layers": 3, "lr": 5e-3, "steps": 400}
