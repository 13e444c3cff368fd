# Wrong: too few steps: 50 steps of lr 1e-2 stop near 3.4 bits per character.
LM_CONFIG = {"d_model": 64, "num_heads": 4, "num_layers": 1, "lr": 1e-2, "steps": 50}
