# Wrong: the scores not divided by sqrt(d) = sqrt(2), so every weight and output is off.
V_rows = [[1, 0], [0, 1], [2, 2]]
SCORES = [[2, 2, 0], [0, 1, 2], [1, 2, 2]]


def softmax_row(row):
    e = [math.exp(s) for s in row]
    return [x / sum(e) for x in e]


def times_v(weights):
    return [[sum(w * V_rows[j][c] for j, w in enumerate(row)) for c in range(2)] for row in weights]


WEIGHTS = [softmax_row(row) for row in SCORES]
OUTPUT = times_v(WEIGHTS)
CAUSAL_WEIGHTS = [[1.0, 0.0, 0.0], [*softmax_row(SCORES[1][:2]), 0.0], WEIGHTS[2]]
CAUSAL_OUTPUT = times_v(CAUSAL_WEIGHTS)
