# Wrong: the causal weights are the full softmax with the future set to 0 afterwards, not
# renormalized over the tokens each row may see.
V_rows = [[1, 0], [0, 1], [2, 2]]
SCORES = [[s / math.sqrt(2) for s in row] for row in [[2, 2, 0], [0, 1, 2], [1, 2, 2]]]


def softmax_row(row):
    e = [math.exp(s) for s in row]
    return [x / sum(e) for x in e]


def times_v(weights):
    return [[sum(w * V_rows[j][c] for j, w in enumerate(row)) for c in range(2)] for row in weights]


WEIGHTS = [softmax_row(row) for row in SCORES]
OUTPUT = times_v(WEIGHTS)
CAUSAL_WEIGHTS = [[w if j <= i else 0.0 for j, w in enumerate(row)] for i, row in enumerate(WEIGHTS)]
CAUSAL_OUTPUT = times_v(CAUSAL_WEIGHTS)
