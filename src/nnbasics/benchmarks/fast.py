"""Benchmark of the appendix "Making it fast": every speed technique against its clear version,
each against torch in the same run.

Run ``python -m nnbasics.benchmarks.fast`` (``--quick`` for tiny sizes, ``--repeat N``). Forward +
backward of the 64-channel 3×3 layer (batch 32, 32×32, padding 1) with the clear im2col
convolution the chapter "Convolutional neural networks" shows, the shifted-slice convolution of
:mod:`nnbasics.fast.conv` and Winograd F(2×2, 3×3) of :mod:`nnbasics.fast.winograd`, each against
:func:`torch.nn.functional.conv2d`, and the shifted slices again with the batch cut into one slice per
thread (:mod:`nnbasics.fast.threads`); then the LSTM of :mod:`nnbasics.benchmarks.recurrent`, the
fused layer of :mod:`nnbasics.fast.recurrent` and the chapter's clear loop over ``LSTMStep``, each
against :class:`torch.nn.LSTM`. Every line is one alternating ``compare`` on 2 threads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nnbasics.benchmarks import Timing, compare, main
from nnbasics.benchmarks import recurrent as recurrent_benchmark
from nnbasics.conv import conv2d
from nnbasics.fast.conv import ShiftedConv2dFunction
from nnbasics.fast.threads import threaded_conv2d
from nnbasics.fast.winograd import winograd_conv2d

# input shape, weight shape, padding
LAYER = ((32, 64, 32, 32), (64, 64, 3, 3), 1)
QUICK_LAYER = ((2, 4, 8, 8), (4, 4, 3, 3), 1)

# name -> f(x, weight, bias, padding): the four convolutions the appendix compares (nnbasics.conv's
# conv2d is the clear im2col one; nnbasics.fast.conv's conv2d and Conv2d take the shifted slices on
# layers like this one)
CONVOLUTIONS = {
    "im2col (clear)": lambda x, w, b, p: conv2d(x, w, b, padding=p),
    "shifted slices": lambda x, w, b, p: ShiftedConv2dFunction.apply(x, w, b, (p, p, p, p), (1, 1), 1),
    "Winograd F(2x2,3x3)": lambda x, w, b, p: winograd_conv2d(x, w, b, padding=p),
    "batch slices on threads": lambda x, w, b, p: threaded_conv2d(x, w, b, padding=p),
}


def _forward_backward(op, x, w, b, padding):
    def run():
        xs, ws, bs = (t.detach().requires_grad_(True) for t in (x, w, b))
        op(xs, ws, bs, padding).sum().backward()
    return run


def run_conv(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """One ``Timing`` per convolution of ``CONVOLUTIONS``, each against ``F.conv2d``."""
    x_shape, w_shape, padding = QUICK_LAYER if quick else LAYER
    torch.manual_seed(0)
    x, w, b = torch.randn(x_shape), torch.randn(w_shape), torch.randn(w_shape[0])
    theirs = _forward_backward(lambda x, w, b, p: F.conv2d(x, w, b, padding=p), x, w, b, padding)
    size = f"{x_shape[1]} ch, {x_shape[2]}x{x_shape[3]}, batch {x_shape[0]}"
    return [compare(f"conv 3x3 {size}, {name}", _forward_backward(op, x, w, b, padding), theirs,
                    repeat=repeat, threads=threads)
            for name, op in CONVOLUTIONS.items()]


def run_all(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """The convolutions, then the LSTM (fused, then clear)."""
    return run_conv(quick, repeat, threads) + recurrent_benchmark.run(quick, repeat, threads)


if __name__ == "__main__":
    main(run_all, __doc__)
