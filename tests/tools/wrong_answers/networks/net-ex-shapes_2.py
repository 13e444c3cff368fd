# forgets the bias in the count, and the channels
INPUT_FEATURES = 32 * 32
WEIGHT_SHAPE = (100, 3072)
OUTPUT_SHAPE = (32, 100)
PARAMETERS = 3072 * 100
