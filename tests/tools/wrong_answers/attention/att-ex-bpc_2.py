# Wrong: a learning rate so small that 200 steps barely leave the uniform guess (about 6.5).
LM_CONFIG = {"d_model": 64, "num_heads": 4, "num_layers": 1, "lr": 1e-5, "steps": 200}
