# Wrong: rounds (n + 2p - k) / s up instead of down, as if a partial window still gave an output
OUTPUT_SIZES = [28, 28, 15, 3, 113, 5]
