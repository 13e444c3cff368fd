# Wrong: adds the padding once (n + p - k) instead of on both sides (n + 2p - k)
OUTPUT_SIZES = [28, 26, 14, 2, 111, 4]
