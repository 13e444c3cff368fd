# Wrong: divides by the sum of the class weights, whatever the examples' classes.
WEIGHTED = [
    (1 * 0.2395 + 2 * 0.2395 + 2 * 2.2395 + 3 * 1.0986) / (1 + 2 + 3),
    (0.2395 + 0.2395 + 2.2395 + 1.0986) / 3,
    (0.2395 + 2.2395 + 1.0986) / 2,
    1 * 0.2395 + 2 * 0.2395 + 2 * 2.2395 + 3 * 1.0986,
]
