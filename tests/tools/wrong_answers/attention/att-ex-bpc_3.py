# Wrong: a learning rate too large for Adam here: it ends near 4.1 bits per character.
LM_CONFIG = {"d_model": 64, "num_heads": 4, "num_layers": 1, "lr": 1e-1, "steps": 200}
