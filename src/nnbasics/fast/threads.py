r"""Slices of the batch on threads of their own: the appendix's answer to a second core that helps
the shifted-slice convolution only sometimes.

PyTorch parallelises *inside* each operation ("intra-op"): every matrix product of
:class:`~nnbasics.fast.conv.ShiftedConv2dFunction` is split between the cores, which then meet at
the end of it. The shifted slices make about a hundred such products per forward and backward
pass, each a millisecond or two, and on the course's 2-core machine the second core sometimes
adds little: the same layer takes 1.5 times PyTorch's time in one run and 2.4 times in the next.
Splitting *between* operations ("inter-op") avoids those meetings: the batch is cut into one slice
per thread, each Python thread runs the whole convolution of its slice with one intra-op thread,
and the threads meet once, at the end. PyTorch releases Python's global lock inside its
operations, so the slices really run at the same time.

Forward and backward are :class:`~nnbasics.fast.conv.ShiftedConv2dFunction`'s own, called on each
slice: the images of a slice give the same outputs and input gradients as in the whole batch;
the weight and bias gradients are sums over images, so the slices' sums are added.
``tests/test_fast_threads.py`` checks values and gradients against the clear convolution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import torch

from nnbasics._checks import check_int
from nnbasics.conv import as_batch, conv2d_arguments
from nnbasics.fast.conv import ShiftedConv2dFunction

__all__ = ["ThreadedShiftedConv2dFunction", "threaded_conv2d"]


class _Context:
    """What ``forward`` and ``backward`` of an autograd Function use of ``ctx``, for calling them
    directly on one slice of the batch."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple[torch.Tensor, ...] = ()

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        self.saved_tensors = tensors


@contextmanager
def _one_intra_op_thread() -> Iterator[None]:
    """Each operation on one thread while inside (the slices are the parallelism), then as before."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _on_threads(work: Callable, items: Sequence) -> list:
    """``[work(*item) for item in items]``, one Python thread per item."""
    with _one_intra_op_thread(), ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(lambda item: work(*item), items))


class ThreadedShiftedConv2dFunction(torch.autograd.Function):
    r""":class:`~nnbasics.fast.conv.ShiftedConv2dFunction` on ``parts`` slices of the batch at once,
    one Python thread per slice: ``input`` ``[N, C_in, H, W]``, ``weight``
    ``[C_out, C_in / groups, k_h, k_w]``, ``bias`` ``[C_out]`` or None, ``pads`` = (top, bottom,
    left, right), ``dilation`` = $(d_h, d_w)$ -> ``[N, C_out, H_out, W_out]`` (stride 1).

    Slice $s$ holds images $n \in S_s$: $Y_{S_s}$ and $\partial L/\partial X_{S_s}$ are the
    slice's own; $\partial L/\partial W = \sum_s \sum_{n \in S_s} (\dots)$ and likewise for the bias.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, pads, dilation, groups, parts):
        slices = x.chunk(parts)  # views, [N_s, C_in, H, W], N_s about N / parts
        ctx.sizes = [x_s.shape[0] for x_s in slices]
        ctx.slices = [_Context(ctx.needs_input_grad[:6]) for _ in slices]
        outputs = _on_threads(
            lambda c, x_s: ShiftedConv2dFunction.forward(c, x_s, weight, bias, pads, dilation, groups),
            list(zip(ctx.slices, slices, strict=True)))
        return torch.cat(outputs)

    @staticmethod
    def backward(ctx, grad_out):
        grads = _on_threads(ShiftedConv2dFunction.backward,
                            list(zip(ctx.slices, grad_out.split(ctx.sizes), strict=True)))
        grad_x = torch.cat([g[0] for g in grads]) if ctx.needs_input_grad[0] else None
        grad_w = sum(g[1] for g in grads) if ctx.needs_input_grad[1] else None
        grad_b = sum(g[2] for g in grads) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b, None, None, None, None


def threaded_conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                    padding: int | tuple[int, int] | str = 0, parts: int | None = None) -> torch.Tensor:
    r"""Stride-1 :func:`nnbasics.conv.conv2d` (its arguments, checked by the same code), its batch cut
    into ``parts`` slices run on as many threads (default: :func:`torch.get_num_threads`);
    ``[N, C_in, H, W]`` -> ``[N, C_out, H + 2p_h - k_h + 1, W + 2p_w - k_w + 1]`` (or one image
    without ``N``).

    :param input: the images, ``[N, C_in, H, W]``, or one image ``[C_in, H, W]``.
    :param weight: the kernels, ``[C_out, C_in, k_h, k_w]``.
    :param bias: one per output channel, ``[C_out]``, or None.
    :param padding: an int, a pair, ``"valid"`` or ``"same"``, as in :func:`nnbasics.conv.conv2d`.
    :param parts: how many slices and threads; at most ``N`` are used.
    """
    x, unbatched = as_batch(input, 4, "[N, C, H, W]")
    _, pads, _ = conv2d_arguments(x, weight, bias, 1, padding, 1, 1)
    parts = check_int(torch.get_num_threads() if parts is None else parts, "parts", 1)
    y = ThreadedShiftedConv2dFunction.apply(x, weight, bias, pads, (1, 1), 1, max(1, min(parts, x.shape[0])))
    return y.squeeze(0) if unbatched else y
