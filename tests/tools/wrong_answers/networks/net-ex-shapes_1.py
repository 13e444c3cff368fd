# torch stores (in, out) ... it does not
INPUT_FEATURES = 32 * 32 * 3
WEIGHT_SHAPE = (3072, 100)
OUTPUT_SHAPE = (32, 100)
PARAMETERS = 3072 * 100 + 100
