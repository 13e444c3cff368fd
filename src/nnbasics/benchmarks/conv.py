"""Benchmark: forward + backward of nnbasics.conv's conv2d, conv1d and max_pool2d against torch's.

Run ``python -m nnbasics.benchmarks.conv`` (add ``--quick`` for tiny sizes). The chapter
"Convolutional neural networks" quotes its ratios; they are measured in one run, on the same
inputs and 2 threads, so they carry over between machines better than seconds do.

:func:`throughput` adds the other half of the story: how many floating-point operations per
second torch's matrix product reaches on this machine, against torch's own convolution. A
convolution built from matrix products (im2col, shifted slices) cannot beat the matrix product,
so their ratio is a floor under ``conv2d``'s ratio, whatever the Python around it does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nnbasics.benchmarks import Timing, compare, main, time_call
from nnbasics.conv import conv1d, conv2d, conv_output_size, max_pool2d

# (name, input shape, weight shape, padding)
CASES = [
    ("LeNet C1: 64 x 1 x 28 x 28, 6 kernels 5x5", (64, 1, 28, 28), (6, 1, 5, 5), 2),
    ("LeNet C3: 64 x 6 x 14 x 14, 16 kernels 5x5", (64, 6, 14, 14), (16, 6, 5, 5), 0),
    ("64 x 32 x 32 -> 64, 3x3, batch 32", (32, 64, 32, 32), (64, 64, 3, 3), 1),
]
QUICK = [("tiny: 2 x 3 x 8 x 8, 4 kernels 3x3", (2, 3, 8, 8), (4, 3, 3, 3), 1)]
# (name, input shape, weight shape, stride, padding): a small layer, where per-call overhead counts
CASES_1D = [("100 x 25 x 19, 25 kernels 3, stride 2", (100, 25, 19), (25, 25, 3), 2, 1)]


def _forward_backward(op, x, *args):
    def run():
        xs = x.detach().requires_grad_(True)
        params = [a.detach().requires_grad_(True) if isinstance(a, torch.Tensor) else a for a in args]
        op(xs, *params).sum().backward()
    return run


def run(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Time every case; return one ``Timing`` per (case, op)."""
    torch.manual_seed(0)
    timings = []
    for name, x_shape, w_shape, padding in QUICK if quick else CASES:
        x, w, b = torch.randn(x_shape), torch.randn(w_shape), torch.randn(w_shape[0])
        ours = _forward_backward(lambda x, w, b, p=padding: conv2d(x, w, b, padding=p), x, w, b)
        theirs = _forward_backward(lambda x, w, b, p=padding: F.conv2d(x, w, b, padding=p), x, w, b)
        timings.append(compare(f"conv2d     {name}", ours, theirs, repeat=repeat, threads=threads))
        timings.append(compare(f"max_pool2d {name.split(',')[0]}",
                               _forward_backward(lambda x: max_pool2d(x, 2), x),
                               _forward_backward(lambda x: F.max_pool2d(x, 2), x),
                               repeat=repeat, threads=threads))
    for name, x_shape, w_shape, stride, padding in [] if quick else CASES_1D:
        x, w, b = torch.randn(x_shape), torch.randn(w_shape), torch.randn(w_shape[0])
        ours = _forward_backward(lambda x, w, b, s=stride, p=padding: conv1d(x, w, b, s, p), x, w, b)
        theirs = _forward_backward(lambda x, w, b, s=stride, p=padding: F.conv1d(x, w, b, s, p), x, w, b)
        timings.append(compare(f"conv1d     {name}", ours, theirs, repeat=repeat, threads=threads))
    return timings


@dataclass(frozen=True)
class Throughput:
    """One throughput line: what was timed, and its floating-point operations per second."""

    name: str
    flops: float  # per second

    def __str__(self) -> str:
        return f"{self.name:<62} {self.flops / 1e9:6.0f} GFLOP/s"


def throughput(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Throughput]:
    """FLOP/s (2 per multiply-add) of ``torch.matmul`` on a large square product and on the
    64-channel layer's im2col product ``[N H W, C k k] @ [C k k, O]``, and of the layer's forward
    pass in ``torch.nn.functional.conv2d`` and in nnbasics' ``conv2d``."""
    torch.manual_seed(0)
    size = 256 if quick else 2048
    _, x_shape, w_shape, padding = QUICK[0] if quick else CASES[-1]
    x, w = torch.randn(x_shape), torch.randn(w_shape)
    n, c, h, wd = x_shape
    o, _, kh, kw = w_shape
    positions = n * conv_output_size(h, kh, padding=padding) * conv_output_size(wd, kw, padding=padding)
    layer_flops = 2 * positions * c * kh * kw * o
    square = torch.randn(size, size)
    cols, kernels = torch.randn(positions, c * kh * kw), torch.randn(c * kh * kw, o)
    cases = [
        (f"torch.matmul, {size} x {size} @ {size} x {size}", 2 * size**3, lambda: square @ square),
        (f"torch.matmul, the layer's im2col product {positions} x {c * kh * kw} @ {c * kh * kw} x {o}",
         layer_flops, lambda: cols @ kernels),
        ("torch conv2d forward, the 64-channel layer", layer_flops, lambda: F.conv2d(x, w, padding=padding)),
        ("nnbasics conv2d forward, the 64-channel layer", layer_flops, lambda: conv2d(x, w, padding=padding)),
    ]
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return [Throughput(name, flops / time_call(fn, repeat, warmup=2)) for name, flops, fn in cases]
    finally:
        torch.set_num_threads(previous)


def run_all(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing | Throughput]:
    """The ratios of :func:`run`, then the throughputs of :func:`throughput`."""
    return [*run(quick, repeat, threads), *throughput(quick, repeat, threads)]


if __name__ == "__main__":
    main(run_all, __doc__)
