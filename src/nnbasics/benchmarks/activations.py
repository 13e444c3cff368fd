"""Benchmark: forward + backward of the taught ReLU, sigmoid and tanh against torch's.

Run ``python -m nnbasics.benchmarks.activations`` (``--quick`` for tiny sizes): float32 batches of
100 × 256 (a hidden layer of the MNIST-1D page's MLP) and 1024 × 1024, each call the activation
and its backward pass. torch runs each activation as one vectorized kernel each way; the taught
versions are a few tensor operations each (:mod:`nnbasics.activations`, with the stable sigmoid
and tanh of :mod:`nnbasics.numerics`), so the ratio counts roughly how many passes over the data
their formulas cost, unless one of those operations has a slow kernel (as ``torch.where`` had:
book/performance.md). A call on the small batch takes microseconds: each timed run repeats it
often enough to handle about four million numbers.
"""

from __future__ import annotations

import torch

from nnbasics import activations
from nnbasics.benchmarks import Timing, compare, main

SHAPES = [(100, 256), (1024, 1024)]
QUICK = [(4, 8)]
OPS = {"relu": (activations.relu, torch.relu), "sigmoid": (activations.sigmoid, torch.sigmoid),
       "tanh": (activations.tanh, torch.tanh)}


def _step(fn, x, grad, calls):
    def go():
        for _ in range(calls):
            fn(x.detach().requires_grad_()).backward(grad)

    return go


def run(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Time forward + backward of each activation, ours against torch's, on each batch shape."""
    timings = []
    for rows, cols in QUICK if quick else SHAPES:
        g = torch.Generator().manual_seed(0)
        x, grad = torch.randn(rows, cols, generator=g), torch.randn(rows, cols, generator=g)
        calls = 1 if quick else max(1, 2**22 // x.numel())  # about 4 million numbers per timed run

        for name, (ours, theirs) in OPS.items():
            timings.append(compare(f"{name} {rows} × {cols}, ×{calls}", _step(ours, x, grad, calls),
                                   _step(theirs, x, grad, calls), repeat=repeat, threads=threads))
    return timings


if __name__ == "__main__":
    main(run, __doc__)
