r"""The shifted-slice convolution of the appendix "Making it fast".

The chapter "Convolutional neural networks" teaches one convolution, im2col and one matrix
product (:class:`nnbasics.conv.Conv2dFunction`). Its column matrix holds every input value
$k_h k_w$ times: on a large layer (64 channels of 32×32, 3×3 kernels, batch 32: 75 MB) building it
and streaming it through the processor takes as long as the arithmetic. At stride 1 there is a
way around it: in a flattened padded image, kernel tap $(i, j)$ reads, for *every* output
position, the input position shifted by the same $i d_h W_p + j d_w$, so the convolution is a
sum of $k_h k_w$ matrix products on shifted contiguous slices of the input, with no copy at all
(:class:`ShiftedConv2dFunction`; not cuDNN's "implicit GEMM", which is one product whose im2col
tiles are built on the fly). Each of those products sums over only the
$C_g$ input channels of a group, so it wins only with many channels and a large layer:
:func:`use_shifted_slices` decides, from measurements with ``nnbasics.benchmarks.conv``.

Speed is asked for by name: :func:`conv2d` and the layer :class:`Conv2d` take the arguments and
give the numbers of :func:`nnbasics.conv.conv2d` and :class:`nnbasics.conv.Conv2d` (they are that
code, with its argument checks, padding modes and unbatched input), and run the shifted slices
where :func:`use_shifted_slices` says so. ``tests/test_fast_conv.py`` checks values and gradients
against the clear version.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nnbasics import conv

__all__ = ["Conv2d", "ShiftedConv2dFunction", "conv2d", "use_shifted_slices"]

# ShiftedConv2dFunction takes images in chunks of about this many values (4 MB in float32) of
# padded input plus output: the k_h k_w products then add into output that is still in cache.
_CHUNK_VALUES = 2**20


class ShiftedConv2dFunction(torch.autograd.Function):
    r"""Stride-1 2-D cross-correlation as $k_h k_w$ matrix products on shifted slices.

    ``input`` ``[N, C_in, H, W]``, ``weight`` ``[C_out, C_in / groups, k_h, k_w]``, ``bias``
    ``[C_out]`` or None, ``pads`` = (top, bottom, left, right), ``dilation`` = $(d_h, d_w)$
    -> ``[N, C_out, H_out, W_out]``.

    Flatten each padded image to $X_n$ ``[C, H_p W_p]`` and its output to $Y_n$
    ``[O, H_\text{out} W_p]``: output rows keep the input's width $W_p$, and the last
    $W_p - W_\text{out}$ columns of each row are wasted work, dropped at the end. Output position
    $q = y W_p + x$ needs input position $q + s_{ij}$ for kernel tap $(i, j)$, with
    $s_{ij} = i d_h W_p + j d_w$: the same shift for every $q$. So
    $Y_n = \sum_{i,j} W_{ij}\, X_n[:, s_{ij} : s_{ij} + \ell] + b$, with
    $\ell = (H_\text{out} - 1) W_p + W_\text{out}$ and $W_{ij}$ ``[O, C]`` the kernels' tap
    $(i, j)$: each term is a plain matrix product on a *contiguous slice* of the input,
    and no im2col buffer is built. Backward, with the output gradient $G_n$
    laid out like $Y_n$ and zero at the wasted columns:
    $\partial L/\partial W_{ij} = \sum_n G_n X_n[:, s_{ij} : s_{ij} + \ell]^\top$ and
    $\partial L/\partial X_n[:, s_{ij} : s_{ij} + \ell] \mathrel{+}= W_{ij}^\top G_n$. Groups are
    done one after the other. The images go through in chunks (``_CHUNK_VALUES``), so that all
    $k_h k_w$ products of a chunk add into output that is still in the processor's cache.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, pads, dilation, groups):
        conv.check_conv2d_tensors(x, weight, bias, groups)
        n, c = x.shape[:2]
        o, cg, kh, kw = weight.shape
        og = o // groups
        xp = conv.pad(x, pads)  # the clear convolution's padding
        hp, wp = xp.shape[2:]
        ho, wo = hp - dilation[0] * (kh - 1), wp - dilation[1] * (kw - 1)
        length = (ho - 1) * wp + wo  # flat positions from the first output to the last
        xf = xp.reshape(n, groups, cg, hp * wp)
        taps = weight.reshape(groups, og, cg, kh * kw).permute(3, 0, 1, 2).contiguous()  # [kh kw, G, Og, Cg]
        shifts = [i * dilation[0] * wp + j * dilation[1] for i in range(kh) for j in range(kw)]
        out = x.new_zeros(n, groups, og, ho * wp)
        chunk = max(1, _CHUNK_VALUES // (c * hp * wp + o * ho * wp))
        for n0 in range(0, n, chunk):
            b = min(chunk, n - n0)
            for g in range(groups):
                y = out[n0:n0 + b, g, :, :length]  # [b, Og, l], a view
                for t, s in enumerate(shifts):
                    y.baddbmm_(taps[t, g].expand(b, og, cg), xf[n0:n0 + b, g, :, s:s + length])
        if bias is not None:
            out += bias.view(groups, og, 1)
        ctx.save_for_backward(xf, taps)
        ctx.meta = (x.shape, weight.shape, pads, (ho, wo, wp, length), shifts, bias is not None)
        return out.view(n, o, ho, wp)[:, :, :, :wo].contiguous()  # drop the wasted columns

    @staticmethod
    def backward(ctx, grad_out):
        xf, taps = ctx.saved_tensors
        x_shape, w_shape, pads, (ho, wo, wp, length), shifts, has_bias = ctx.meta
        n, c, h, w_in = x_shape
        groups, og, cg = taps.shape[1:]
        g_full = grad_out.new_zeros(n, groups, og, ho, wp)
        g_full[..., :wo] = grad_out.reshape(n, groups, og, ho, wo)  # zero at the wasted columns
        g_flat = g_full.view(n, groups, og, ho * wp)[..., :length]
        grad_taps = taps.new_zeros(taps.shape) if ctx.needs_input_grad[1] else None
        gxf = xf.new_zeros(xf.shape) if ctx.needs_input_grad[0] else None
        chunk = max(1, _CHUNK_VALUES // (xf[0].numel() + g_full[0].numel()))
        for n0 in range(0, n, chunk):
            b = min(chunk, n - n0)
            for g in range(groups):
                gy = g_flat[n0:n0 + b, g]  # [b, Og, l]
                for t, s in enumerate(shifts):
                    if grad_taps is not None:  # a [b, Og, Cg] product per image, summed over images
                        grad_taps[t, g] += (gy @ xf[n0:n0 + b, g, :, s:s + length].mT).sum(0)
                    if gxf is not None:
                        gxf[n0:n0 + b, g, :, s:s + length].baddbmm_(taps[t, g].mT.expand(b, cg, og), gy)
        grad_x = grad_w = grad_b = None
        if gxf is not None:
            top, _, left, _ = pads
            grad_x = gxf.view(n, c, -1, wp)[:, :, top:top + h, left:left + w_in]
        if grad_taps is not None:
            grad_w = grad_taps.permute(1, 2, 3, 0).reshape(w_shape)
        if has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum(dim=(0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None


def use_shifted_slices(x_shape: torch.Size, w_shape: torch.Size, stride: tuple[int, int],
                       pads: tuple[int, int, int, int], dilation: tuple[int, int]) -> bool:
    r"""Whether a convolution of ``[N, C, H, W]`` input with ``[O, C_g, k_h, k_w]`` kernels runs
    faster as :class:`ShiftedConv2dFunction` than as im2col.

    Only for stride 1, and only when it is faster (measured with ``nnbasics.benchmarks.conv``):
    each shifted product has only $C_g$ terms per output value, too few for a fast matrix product
    below about 16 channels per group, and it pays off when the im2col buffer
    $C k_h k_w \cdot N H_\text{out} W_\text{out}$ would be too large to stay in cache (here
    from $2^{22}$ values, 16 MB in float32).
    """
    n, c, h, w = x_shape
    kh, kw = w_shape[2:]
    ho = h + pads[0] + pads[1] - dilation[0] * (kh - 1)
    wo = w + pads[2] + pads[3] - dilation[1] * (kw - 1)
    return tuple(stride) == (1, 1) and w_shape[1] >= 16 and c * kh * kw * n * ho * wo >= 2**22



def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: conv.IntPair = 1,
           padding: conv.IntPair | str = 0, dilation: conv.IntPair = 1, groups: int = 1) -> Tensor:
    """:func:`nnbasics.conv.conv2d` (same arguments, checks and numbers), by
    :class:`ShiftedConv2dFunction` where :func:`use_shifted_slices` says that is faster, else by the
    clear :class:`nnbasics.conv.Conv2dFunction`: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)``, or
    unbatched ``(C_in, H, W) -> (C_out, H_out, W_out)``."""
    x, unbatched = conv.as_batch(input, 4, "[N, C, H, W]")
    s, pads, d = conv.conv2d_arguments(x, weight, bias, stride, padding, dilation, groups)
    if use_shifted_slices(x.shape, weight.shape, s, pads, d):
        y = ShiftedConv2dFunction.apply(x, weight, bias, pads, d, groups)
    else:
        y = conv.Conv2dFunction.apply(x, weight, bias, stride, padding, dilation, groups)
    return y.squeeze(0) if unbatched else y


class Conv2d(conv.Conv2d):
    """:class:`nnbasics.conv.Conv2d` (same arguments, parameters, initialization and numbers) that
    convolves with this module's :func:`conv2d`: its large stride-1 layers take the shifted slices."""

    convolution = staticmethod(conv2d)
