# Wrong: the softmax taken down each column (over the queries) instead of along each row.
V_rows = [[1, 0], [0, 1], [2, 2]]
SCORES = [[s / math.sqrt(2) for s in row] for row in [[2, 2, 0], [0, 1, 2], [1, 2, 2]]]


def softmax_columns(scores):
    e = [[math.exp(s) for s in row] for row in scores]
    totals = [sum(e[i][j] for i in range(3)) for j in range(3)]
    return [[e[i][j] / totals[j] for j in range(3)] for i in range(3)]


def times_v(weights):
    return [[sum(w * V_rows[j][c] for j, w in enumerate(row)) for c in range(2)] for row in weights]


WEIGHTS = softmax_columns(SCORES)
OUTPUT = times_v(WEIGHTS)
masked = [[s if j <= i else -math.inf for j, s in enumerate(row)] for i, row in enumerate(SCORES)]
CAUSAL_WEIGHTS = softmax_columns(masked)
CAUSAL_OUTPUT = times_v(CAUSAL_WEIGHTS)
