r"""Convolution and pooling with hand-written backward passes, layer counting, LeNet-5, and the
moved, turned and zoomed image copies of data augmentation.

Taught in the chapter "Convolutional neural networks" (:func:`affine_images` on its page "Input
standardization and data augmentation").

**How the convolution is computed: im2col and one matrix product.** Kernel tap $(i, j)$ of a
$k_h \times k_w$ kernel meets, at output position $(y, x)$, the padded input value at row
$y s_h + i d_h$ and column $x s_w + j d_w$ (stride $s$, dilation $d$). Copying those values for
every tap lays out every window of the input as one column of a matrix (*im2col*): ``cols``
``(C_in k_h k_w, N H_out W_out)``. The convolution is then *one matrix product* with the
flattened kernels, $Y = W\,\text{cols} + b$, which runs at the speed of the machine's BLAS where
a Python loop over output positions would be hundreds of times slower. The backward pass is
two more matrix products, and *col2im*: the same loop over the taps, adding each column back
onto the input position it was copied from.

The module reads in two parts. First the convolution itself, as the chapter teaches it:
:func:`im2col`, :func:`col2im` and :class:`Conv2dFunction`, forward beside backward, with every
shape in the docstrings. Then PyTorch's interface around it: the argument checks
(:func:`conv2d_arguments`, shared with the appendix's fast convolutions), ``"same"`` padding,
unbatched input, padding modes, and the :class:`Conv2d`/:class:`Conv1d` layers.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nnbasics import init
from nnbasics._checks import check_choice, check_int, check_tensor
from nnbasics.activations import ReLU, Tanh
from nnbasics.layers import Linear

__all__ = [
    "AvgPool2d",
    "AvgPool2dFunction",
    "Conv1d",
    "Conv2d",
    "Conv2dFunction",
    "LeNet5",
    "MaxPool2d",
    "MaxPool2dFunction",
    "affine_images",
    "avg_pool2d",
    "col2im",
    "conv1d",
    "conv2d",
    "conv_flops",
    "conv_macs",
    "conv_output_size",
    "conv_parameters",
    "im2col",
    "max_pool2d",
]

IntPair = int | tuple[int, int]
Pads = tuple[int, int, int, int]  # (top, bottom, left, right)


# --- The convolution: im2col, one matrix product, col2im ----------------------------------------


def pad(x: Tensor, pads: Pads, value: float = 0.0) -> Tensor:
    """``(N, C, H, W) -> (N, C, H_p, W_p)``: ``x`` framed by rows and columns of ``value``;
    ``pads`` is (top, bottom, left, right)."""
    top, bottom, left, right = pads
    n, c, h, w = x.shape
    x_p = x.new_full((n, c, top + h + bottom, left + w + right), value)
    x_p[:, :, top:top + h, left:left + w] = x
    return x_p


def _tap(x_p: Tensor, i: int, j: int, stride: tuple[int, int], dilation: tuple[int, int],
         output_size: tuple[int, int]) -> Tensor:
    r"""``(N, C, H_p, W_p) -> (N, C, H_out, W_out)``, a view: what kernel tap $(i, j)$ meets at
    every output position $(y, x)$, the values ``x_p[:, :, i d_h + y s_h, j d_w + x s_w]``."""
    top, left = i * dilation[0], j * dilation[1]
    bottom = top + stride[0] * (output_size[0] - 1) + 1
    right = left + stride[1] * (output_size[1] - 1) + 1
    return x_p[:, :, top:bottom:stride[0], left:right:stride[1]]


def im2col(x_p: Tensor, kernel_size: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
           output_size: tuple[int, int]) -> Tensor:
    r"""``(N, C, H_p, W_p) -> (C k_h k_w, N H_out W_out)``, the matrix ``cols``: row $(c, i, j)$
    holds what tap $(i, j)$ of channel $c$ meets at each output position of each image.

    :param x_p: the padded input, ``(N, C, H_p, W_p)``.
    :param kernel_size: $(k_h, k_w)$.
    :param stride: $(s_h, s_w)$.
    :param dilation: $(d_h, d_w)$.
    :param output_size: $(H_\text{out}, W_\text{out})$, from :func:`conv_output_size`.
    """
    if check_tensor(x_p, "x_p").dim() != 4:
        raise ValueError(f"x_p must be 4-D [N, C, H_p, W_p], got shape {tuple(x_p.shape)}")
    k_h, k_w = kernel_size
    taps = [_tap(x_p, i, j, stride, dilation, output_size).transpose(0, 1)  # each (C, N, H_out, W_out)
            for i in range(k_h) for j in range(k_w)]
    return torch.stack(taps, dim=1).reshape(x_p.shape[1] * k_h * k_w, -1)  # (C, k_h k_w, N, H_out, W_out)


def col2im(cols: Tensor, padded_shape: torch.Size, kernel_size: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], output_size: tuple[int, int]) -> Tensor:
    r"""The reverse of :func:`im2col`: ``(C k_h k_w, N H_out W_out) -> (N, C, H_p, W_p)``, each
    value *added* onto the input position it was copied from (a position in several windows gets
    the sum).

    :param cols: ``(C k_h k_w, N H_out W_out)``, as :func:`im2col` returns.
    :param padded_shape: $(N, C, H_p, W_p)$, the shape to return.
    :param kernel_size: $(k_h, k_w)$.
    :param stride: $(s_h, s_w)$.
    :param dilation: $(d_h, d_w)$.
    :param output_size: $(H_\text{out}, W_\text{out})$.
    """
    n, c = padded_shape[:2]
    k_h, k_w = kernel_size
    expected = (c * k_h * k_w, n * output_size[0] * output_size[1])
    if check_tensor(cols, "cols").shape != expected:
        raise ValueError(f"cols must have shape {expected} for these sizes, got {tuple(cols.shape)}")
    cols = cols.reshape(c, k_h, k_w, n, *output_size)
    x_p = cols.new_zeros(padded_shape)
    for i in range(k_h):
        for j in range(k_w):
            _tap(x_p, i, j, stride, dilation, output_size).add_(cols[:, i, j].transpose(0, 1))
    return x_p


class Conv2dFunction(torch.autograd.Function):
    r"""2-D cross-correlation by im2col and one matrix product per group:
    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)``.

    With $G$ groups of $C_g = C_\text{in} / G$ channels and $P = N H_\text{out} W_\text{out}$
    output positions:

    - forward: $X_\text{cols} = \text{im2col}(X)$ ``(G, C_g k_h k_w, P)``,
      $Y = W X_\text{cols} + b$ with $W$ ``(G, C_out / G, C_g k_h k_w)``;
    - backward, with $\delta = \partial L/\partial Y$ laid out like $Y$:
      $\partial L/\partial W = \delta\, X_\text{cols}^\top$,
      $\partial L/\partial b = \sum_P \delta$,
      $\partial L/\partial X = \text{col2im}(W^\top \delta)$ without the padding.

    :param input: $X$, ``(N, C_in, H, W)``.
    :param weight: $W$, ``(C_out, C_in / G, k_h, k_w)``.
    :param bias: $b$, ``(C_out,)``, or None.
    :param stride: $(s_h, s_w)$, as :func:`conv2d`'s (all four checked by :func:`conv2d_arguments`).
    :param padding: as :func:`conv2d`'s.
    :param dilation: $(d_h, d_w)$, as :func:`conv2d`'s.
    :param groups: $G$, as :func:`conv2d`'s.
    """

    @staticmethod
    def forward(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        stride, pads, dilation = conv2d_arguments(input, weight, bias, stride, padding, dilation, groups)
        N, G = input.shape[0], groups
        C_out, C_g, k_h, k_w = weight.shape
        x_p = pad(input, pads)  # (N, C_in, H_p, W_p)
        H_out = (x_p.shape[2] - dilation[0] * (k_h - 1) - 1) // stride[0] + 1  # conv_output_size, p = 0
        W_out = (x_p.shape[3] - dilation[1] * (k_w - 1) - 1) // stride[1] + 1
        X_cols = im2col(x_p, (k_h, k_w), stride, dilation, (H_out, W_out)).reshape(G, C_g * k_h * k_w, -1)
        W_mat = weight.reshape(G, C_out // G, C_g * k_h * k_w)
        Y = W_mat @ X_cols  # (G, C_out / G, P)
        if bias is not None:
            Y = Y + bias.reshape(G, C_out // G, 1)
        ctx.save_for_backward(X_cols, weight)
        ctx.geometry = (input.shape, x_p.shape, stride, pads, dilation, (H_out, W_out), bias is not None)
        return Y.reshape(C_out, N, H_out, W_out).permute(1, 0, 2, 3).contiguous()

    @staticmethod
    def backward(ctx, grad_output):
        X_cols, weight = ctx.saved_tensors
        (_, C_in, H, W), padded_shape, stride, pads, dilation, output_size, has_bias = ctx.geometry
        C_out, C_g, k_h, k_w = weight.shape
        G = C_in // C_g
        delta = grad_output.permute(1, 0, 2, 3).reshape(G, C_out // G, -1)  # (G, C_out / G, P)
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[1]:
            grad_weight = (delta @ X_cols.transpose(1, 2)).reshape(weight.shape)
        if has_bias and ctx.needs_input_grad[2]:
            grad_bias = delta.sum(dim=2).reshape(C_out)
        if ctx.needs_input_grad[0]:
            W_mat = weight.reshape(G, C_out // G, C_g * k_h * k_w)
            grad_cols = (W_mat.transpose(1, 2) @ delta).reshape(C_in * k_h * k_w, -1)  # (C_in k_h k_w, P)
            grad_x_p = col2im(grad_cols, padded_shape, (k_h, k_w), stride, dilation, output_size)
            top, _, left, _ = pads
            grad_input = grad_x_p[:, :, top:top + H, left:left + W]
        return grad_input, grad_weight, grad_bias, None, None, None, None


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    r"""2-D convolution (cross-correlation), like :func:`torch.nn.functional.conv2d`:
    $Y_{n,o,y,x} = b_o + \sum_{c,i,j} W_{o,c,i,j}\, X_{n,c,\,y s_h + i d_h,\,x s_w + j d_w}$ (padded $X$).

    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)``, or unbatched ``(C_in, H, W) -> (C_out, H_out, W_out)``,
    with $H_\text{out}$, $W_\text{out}$ from :func:`conv_output_size`; computed by :class:`Conv2dFunction`.

    :param input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``.
    :param weight: the kernels, ``(C_out, C_in / groups, k_h, k_w)``.
    :param bias: ``(C_out,)``, or None.
    :param stride: the step $s$ between windows: an int or a pair $(s_h, s_w)$.
    :param padding: zeros added on each side: an int, a pair, ``"valid"`` (none) or ``"same"``
        (the output keeps the input's size; stride 1 only, as in torch).
    :param dilation: the spacing $d$ between kernel taps: an int or a pair.
    :param groups: $G$: the channels split into $G$ groups, each convolved with its own kernels.
    """
    x, unbatched = as_batch(input, 4, "[N, C, H, W]")
    y = Conv2dFunction.apply(x, weight, bias, stride, padding, dilation, groups)
    return y.squeeze(0) if unbatched else y


# --- Sizes and counts --------------------------------------------------------------------------


def conv_output_size(input_size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    r"""$\left\lfloor \dfrac{n + 2p - d(k - 1) - 1}{s} \right\rfloor + 1$, the output length of a
    convolution or pooling ($\lceil\cdot\rceil$ with ``ceil_mode``); for $d = 1$ this is
    $\lfloor (n + 2p - k)/s \rfloor + 1$.

    :param input_size: the input's length $n$ along one axis.
    :param kernel_size: the kernel's length $k$.
    :param stride: the step $s$ between windows.
    :param padding: $p$, added on each side.
    :param dilation: $d$, the spacing between kernel taps.
    :param ceil_mode: round up instead of down (pooling's option; a window must start inside the
        input or its left padding).
    """
    check_int(input_size, "input_size", 0)
    check_int(kernel_size, "kernel_size")
    check_int(stride, "stride")
    check_int(padding, "padding", 0)
    check_int(dilation, "dilation")
    span = input_size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= input_size + padding:
        out -= 1  # the last window must start inside the input or its left padding
    if out < 1:
        raise ValueError(f"kernel of size {kernel_size} (dilation {dilation}) is larger than the padded "
                         f"input of size {input_size + 2 * padding}")
    return out


def _check_channels(in_channels: int, out_channels: int, groups: int) -> None:
    check_int(in_channels, "in_channels")
    check_int(out_channels, "out_channels")
    check_int(groups, "groups")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                         f"divisible by groups ({groups})")


def conv_parameters(in_channels: int, out_channels: int, kernel_size: IntPair, groups: int = 1,
                    bias: bool = True) -> int:
    r"""$C_\text{out}\cdot\frac{C_\text{in}}{g}\cdot k_h k_w$ weights, plus $C_\text{out}$ biases.

    :param in_channels: $C_\text{in}$, the input's channels.
    :param out_channels: $C_\text{out}$, the number of kernels (output channels).
    :param kernel_size: $(k_h, k_w)$, or an int for a square kernel.
    :param groups: $g$, the number of channel groups.
    :param bias: count the biases.
    """
    _check_channels(in_channels, out_channels, groups)
    k_h, k_w = check_int(kernel_size, "kernel_size", 1, size=2)
    return out_channels * (in_channels // groups) * k_h * k_w + (out_channels if bias else 0)


def conv_macs(in_channels: int, out_channels: int, kernel_size: IntPair, output_size: IntPair,
              groups: int = 1) -> int:
    r"""Multiply-accumulates of one convolution on one image:
    $H_\text{out} W_\text{out} \cdot C_\text{out} \cdot \frac{C_\text{in}}{g} k_h k_w$.

    :param in_channels: $C_\text{in}$, the input's channels.
    :param out_channels: $C_\text{out}$, the number of kernels (output channels).
    :param kernel_size: $(k_h, k_w)$, or an int for a square kernel.
    :param output_size: $(H_\text{out}, W_\text{out})$, or an int for a square output.
    :param groups: $g$, the number of channel groups.
    """
    _check_channels(in_channels, out_channels, groups)
    k_h, k_w = check_int(kernel_size, "kernel_size", 1, size=2)
    h_out, w_out = check_int(output_size, "output_size", 1, size=2)
    return h_out * w_out * out_channels * (in_channels // groups) * k_h * k_w


def conv_flops(in_channels: int, out_channels: int, kernel_size: IntPair, output_size: IntPair,
               groups: int = 1, bias: bool = True) -> int:
    """Floating-point operations of one convolution on one image.

    Convention: one multiply-accumulate is 2 FLOPs (a multiply and an add), and each bias adds
    one FLOP per output value. Many papers quote MACs instead (:func:`conv_macs`): halve.

    :param in_channels: $C_\text{in}$, the input's channels.
    :param out_channels: $C_\text{out}$, the number of kernels (output channels).
    :param kernel_size: $(k_h, k_w)$, or an int for a square kernel.
    :param output_size: $(H_\text{out}, W_\text{out})$, or an int for a square output.
    :param groups: $g$, the number of channel groups.
    :param bias: count the bias additions.
    """
    h_out, w_out = check_int(output_size, "output_size", 1, size=2)
    macs = conv_macs(in_channels, out_channels, kernel_size, (h_out, w_out), groups)
    return 2 * macs + (h_out * w_out * out_channels if bias else 0)


# --- PyTorch's interface: argument checks, "same", unbatched input, padding modes ----------------


def as_batch(input: object, dims: int, layout: str) -> tuple[Tensor, bool]:
    """``input`` with its batch axis (torch also takes one sample without it), and whether it had none."""
    x = check_tensor(input)
    if x.dim() == dims - 1:
        return x.unsqueeze(0), True
    if x.dim() != dims:
        raise ValueError(f"input must be {dims}-D {layout} (or {dims - 1}-D without N, one sample), "
                         f"got shape {tuple(x.shape)}")
    return x, False


def _conv_pads(padding: object, kernel_size: tuple[int, int], stride: tuple[int, int],
               dilation: tuple[int, int]) -> Pads:
    """(top, bottom, left, right) from an int, a pair, ``"valid"`` or ``"same"`` (as torch: the
    odd extra row or column of ``"same"`` goes to the bottom or right)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions (stride > 1), "
                             "as in torch: give the padding as numbers")
        total_h, total_w = dilation[0] * (kernel_size[0] - 1), dilation[1] * (kernel_size[1] - 1)
        return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    p_h, p_w = check_int(padding, "padding", 0, size=2)
    return (p_h, p_h, p_w, p_w)


def check_conv2d_tensors(input: object, weight: object, bias: object, groups: object) -> None:
    """Check that ``input`` ``(N, C_in, H, W)``, ``weight`` ``(C_out, C_in / groups, k_h, k_w)`` and
    ``bias`` ``(C_out,)`` (or None) fit together, with one dtype and device."""
    x, w = check_tensor(input), check_tensor(weight, "weight")
    if x.dim() != 4:
        raise ValueError(f"input must be 4-D [N, C, H, W] (or 3-D [C, H, W], one image), got shape "
                         f"{tuple(x.shape)}")
    if w.dim() != 4:
        raise ValueError("weight must be 4-D [out_channels, in_channels / groups, kH, kW], "
                         f"got {tuple(w.shape)}")
    if w.dtype != x.dtype or w.device != x.device:
        raise TypeError(f"weight ({w.dtype}, {w.device}) and input ({x.dtype}, {x.device}) should be "
                        f"the same dtype and device")
    check_int(groups, "groups")
    if x.shape[1] != w.shape[1] * groups or w.shape[0] % groups:
        raise ValueError(f"channel mismatch: input has {x.shape[1]} channels but weight {tuple(w.shape)} "
                         f"with groups={groups} expects {w.shape[1] * groups} (and out_channels divisible "
                         f"by groups)")
    if bias is not None:
        b = check_tensor(bias, "bias")
        if b.shape != (w.shape[0],) or b.dtype != x.dtype:
            raise ValueError(f"bias must have shape ({w.shape[0]},) and dtype {x.dtype}, "
                             f"got {tuple(b.shape)} {b.dtype}")


def conv2d_arguments(input: object, weight: object, bias: object, stride: object, padding: object,
                     dilation: object, groups: object) -> tuple[tuple[int, int], Pads, tuple[int, int]]:
    """Check :func:`conv2d`'s arguments (4-D ``input``); return the stride and dilation as pairs and
    the padding as (top, bottom, left, right). The appendix's fast convolutions check theirs here too."""
    check_conv2d_tensors(input, weight, bias, groups)
    s, d = check_int(stride, "stride", 1, size=2), check_int(dilation, "dilation", 1, size=2)
    pads = _conv_pads(padding, tuple(weight.shape[2:]), s, d)
    for dim in (0, 1):  # conv_output_size raises if the kernel is larger than the padded input
        padded = input.shape[2 + dim] + pads[2 * dim] + pads[2 * dim + 1]
        conv_output_size(padded, weight.shape[2 + dim], s[dim], 0, d[dim])
    return s, pads, d


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1,
           padding: int | str = 0, dilation: int = 1, groups: int = 1) -> Tensor:
    r"""1-D convolution, like :func:`torch.nn.functional.conv1d`:
    $Y_{n,o,t} = b_o + \sum_{c,i} W_{o,c,i}\, X_{n,c,\,t s + i d}$.

    ``(N, C_in, L) -> (N, C_out, L_out)`` (or unbatched ``(C_in, L) -> (C_out, L_out)``): the 2-D
    convolution of a height-1 image, so the same im2col forward and backward.

    :param input: ``(N, C_in, L)`` or ``(C_in, L)``.
    :param weight: the kernels, ``(C_out, C_in / groups, k)``.
    :param bias: ``(C_out,)``, or None.
    :param stride: the step $s$ between windows.
    :param padding: zeros added on each side: an int, ``"valid"`` (none) or ``"same"`` (stride 1 only).
    :param dilation: the spacing $d$ between kernel taps.
    :param groups: $G$: the channels split into $G$ groups, each convolved with its own kernels.
    """
    x, unbatched = as_batch(input, 3, "[N, C, L]")
    w = check_tensor(weight, "weight")
    if w.dim() != 3:
        raise ValueError(f"weight must be 3-D [out_channels, in_channels / groups, k], got {tuple(w.shape)}")
    p = padding if isinstance(padding, str) else (0, check_int(padding, "padding", 0, size=1)[0])
    s, d = check_int(stride, "stride", 1, size=1)[0], check_int(dilation, "dilation", 1, size=1)[0]
    y = Conv2dFunction.apply(x.unsqueeze(2), w.unsqueeze(2), bias, (1, s), p, (1, d), groups).squeeze(2)
    return y.squeeze(0) if unbatched else y


def _source_positions(size: int, before: int, after: int, mode: str, device: torch.device) -> Tensor:
    """For each position of a padded axis, the input position its value is copied from."""
    limit = size if mode == "circular" else size - 1
    if mode != "replicate" and max(before, after) > limit:
        raise ValueError(f"padding ({before}, {after}) must be at most {limit} for padding_mode={mode!r} "
                         f"on an input of size {size}")
    i = torch.arange(-before, size + after, device=device)
    if mode == "reflect":  # mirror at the edges, without repeating them
        i = i.abs()
        return torch.where(i >= size, 2 * (size - 1) - i, i)
    if mode == "replicate":  # repeat the edge values
        return i.clamp(0, size - 1)
    return i % size  # circular: wrap around


def _pad_by_mode(x: Tensor, pads: Pads, mode: str) -> Tensor:
    """``(N, C, H, W)`` padded by copying input values (``padding_mode`` 'reflect', 'replicate' or
    'circular'); plain indexing, so autograd adds each copy's gradient back onto its source."""
    rows = _source_positions(x.shape[2], pads[0], pads[1], mode, x.device)
    cols = _source_positions(x.shape[3], pads[2], pads[3], mode, x.device)
    return x[:, :, rows][:, :, :, cols]


# --- The layers --------------------------------------------------------------------------------


class _ConvNd(nn.Module):
    """What :class:`Conv1d` and :class:`Conv2d` share: the checks, the parameters with torch's
    names, shapes and default initialization (Kaiming-uniform with $a = \\sqrt 5$), the repr and
    ``padding_mode``."""

    #: The 4-D convolution the layer runs, with :func:`conv2d`'s arguments. A subclass may run
    #: another that gives the same numbers (the appendix's fast layer does).
    convolution = staticmethod(conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...] | str, dilation: tuple[int, ...],
                 groups: int, bias: bool, padding_mode: str, device, dtype) -> None:
        super().__init__()
        _check_channels(in_channels, out_channels, groups)
        check_choice(padding_mode, "padding_mode", ("zeros", "reflect", "replicate", "circular"))
        if isinstance(padding, str):
            _conv_pads(padding, (1, 1), (stride * 2)[:2], (1, 1))  # 'valid' or 'same' at stride 1 only
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.padding_mode = padding_mode
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *kernel_size, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(init.compute_fans(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def _convolve(self, x: Tensor, weight: Tensor, stride: tuple[int, int], padding: tuple[int, int] | str,
                  dilation: tuple[int, int]) -> Tensor:
        """``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with this layer's settings."""
        if self.padding_mode != "zeros":
            pads = _conv_pads(padding, tuple(weight.shape[2:]), stride, dilation)
            x, padding = _pad_by_mode(x, pads, self.padding_mode), 0
        return self.convolution(x, weight, self.bias, stride, padding, dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if isinstance(self.padding, str) or any(self.padding):
            text += f", padding={self.padding}"  # torch prints 'same' without quotes too
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    r"""A convolution layer like :class:`torch.nn.Conv2d`: same arguments, parameter names,
    shapes and default initialization (Kaiming-uniform with $a = \sqrt 5$);
    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` (or unbatched ``(C_in, H, W)``), computed by
    :func:`conv2d`.

    :param in_channels: $C_\text{in}$, the input's channels.
    :param out_channels: $C_\text{out}$, the number of kernels (output channels).
    :param kernel_size: $(k_h, k_w)$, or an int for a square kernel.
    :param stride: the step $s$ between windows: an int or a pair $(s_h, s_w)$.
    :param padding: zeros added on each side: an int, a pair, ``"valid"`` (none) or ``"same"``
        (the output keeps the input's size; stride 1 only, as in torch).
    :param dilation: the spacing $d$ between kernel taps: an int or a pair.
    :param groups: $G$: the channels split into $G$ groups, each convolved with its own kernels.
    :param bias: learn a bias per output channel.
    :param padding_mode: ``"zeros"``, or ``"reflect"``, ``"replicate"``, ``"circular"``: how the
        input is padded.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if not isinstance(padding, str):
            check_int(padding, "padding", 0, size=2)  # checked, and kept as given (a 1-tuple too), as torch
            padding = tuple(padding) if isinstance(padding, tuple | list) else (padding, padding)
        super().__init__(in_channels, out_channels, check_int(kernel_size, "kernel_size", 1, size=2),
                         check_int(stride, "stride", 1, size=2), padding,
                         check_int(dilation, "dilation", 1, size=2), groups, bias, padding_mode, device,
                         dtype)

    def forward(self, input: Tensor) -> Tensor:
        x, unbatched = as_batch(input, 4, "[N, C, H, W]")
        y = self._convolve(x, self.weight, self.stride, self.padding, self.dilation)
        return y.squeeze(0) if unbatched else y


class Conv1d(_ConvNd):
    r"""A 1-D convolution layer like :class:`torch.nn.Conv1d`: same arguments, parameter names,
    shapes (``weight`` is ``(out_channels, in_channels / groups, kernel_size)``) and default
    initialization, so a torch ``Conv1d`` state dict loads; ``(N, C_in, L) -> (N, C_out, L_out)``
    (or unbatched ``(C_in, L)``), as the 2-D convolution of a height-1 image.

    :param in_channels: $C_\text{in}$, the input's channels.
    :param out_channels: $C_\text{out}$, the number of kernels (output channels).
    :param kernel_size: $k$, the kernel's length.
    :param stride: the step $s$ between windows.
    :param padding: zeros added on each side: an int, ``"valid"`` (none) or ``"same"`` (stride 1 only).
    :param dilation: the spacing $d$ between kernel taps.
    :param groups: $G$: the channels split into $G$ groups, each convolved with its own kernels.
    :param bias: learn a bias per output channel.
    :param padding_mode: ``"zeros"``, or ``"reflect"``, ``"replicate"``, ``"circular"``: how the
        input is padded.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, check_int(kernel_size, "kernel_size", 1, size=1),
                         check_int(stride, "stride", 1, size=1),
                         padding if isinstance(padding, str) else check_int(padding, "padding", 0, size=1),
                         check_int(dilation, "dilation", 1, size=1), groups, bias, padding_mode, device,
                         dtype)

    def forward(self, input: Tensor) -> Tensor:
        x, unbatched = as_batch(input, 3, "[N, C, L]")
        padding = self.padding if isinstance(self.padding, str) else (0, self.padding[0])
        y = self._convolve(x.unsqueeze(2), self.weight.unsqueeze(2), (1, self.stride[0]), padding,
                           (1, self.dilation[0])).squeeze(2)
        return y.squeeze(0) if unbatched else y


# --- Pooling -----------------------------------------------------------------------------------


def _pool_settings(kernel_size: object, stride: object, padding: object, dilation: object):
    """Check a pooling's settings; return kernel, stride, padding and dilation as pairs of ints."""
    k = check_int(kernel_size, "kernel_size", 1, size=2)
    no_stride = stride is None or (isinstance(stride, tuple | list) and not stride)
    s = k if no_stride else check_int(stride, "stride", 1, size=2)
    p = check_int(padding, "padding", 0, size=2)
    d = check_int(dilation, "dilation", 1, size=2)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding {p} must be at most half the kernel_size {k}")
    return k, s, p, d


def _pool_arguments(x: Tensor, kernel_size: object, stride: object, padding: object, dilation: object,
                    ceil_mode: bool):
    """Check a pooling's arguments; return kernel, stride, padding, dilation, output size and the
    padding (top, bottom, left, right) with the extra bottom/right room ``ceil_mode`` windows need."""
    if check_tensor(x).dim() != 4:
        raise ValueError(f"input must be 4-D [N, C, H, W], got shape {tuple(x.shape)}")
    if any(size == 0 for size in x.shape[1:]):
        raise ValueError(f"input must have non-zero channels, height and width, got shape {tuple(x.shape)}")
    k, s, p, d = _pool_settings(kernel_size, stride, padding, dilation)
    out = tuple(conv_output_size(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2))
    # Room on the bottom/right for the last windows that ceil_mode lets run past the padding.
    span = [(out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(2)]
    extra = [max(span[i] - (x.shape[2 + i] + 2 * p[i]), 0) for i in range(2)]
    return k, s, p, d, out, (p[0], p[0] + extra[0], p[1], p[1] + extra[1])


def _first_inside(output_length: int, stride: int, padding: int, dilation: int, device) -> Tensor:
    """For each window along one axis, the first kernel position that falls inside the input."""
    before = padding - torch.arange(output_length, device=device) * stride  # padding left in the window
    return (before.clamp(min=0) + dilation - 1) // dilation


class MaxPool2dFunction(torch.autograd.Function):
    r"""Maximum over each window: ``(N, C, H, W) -> (N, C, H_out, W_out)``, values and indices.

    Forward stacks what the $k_h k_w$ taps meet (the padding counts as $-\infty$) and takes one
    ``max``, which also says *which* tap holds the maximum (the first one on ties; NaN wins, as in
    torch); its position in the input, row $y s_h - p_h + i d_h$ and column $x s_w - p_w + j d_w$,
    is the index :func:`max_pool2d` returns with ``return_indices``. Backward: the maximum is the
    only input that moved the output, so each output gradient goes to its argmax, added with one
    ``scatter_add_`` (a position that wins several windows gets the sum).

    :param input: ``(N, C, H, W)``.
    :param kernel_size: the window $(k_h, k_w)$: an int or a pair.
    :param stride: the step between windows (None: ``kernel_size``).
    :param padding: added on each side (at most half the kernel): an int or a pair.
    :param dilation: the spacing between window taps: an int or a pair.
    :param ceil_mode: round the output size up: a last, partial window is kept.
    """

    @staticmethod
    def forward(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        k, s, p, d, (H_out, W_out), pads = _pool_arguments(input, kernel_size, stride, padding, dilation,
                                                             ceil_mode)
        W = input.shape[3]
        x_p = pad(input, pads, value=-math.inf)
        taps = [_tap(x_p, i, j, s, d, (H_out, W_out)) for i in range(k[0]) for j in range(k[1])]
        values, tap = torch.stack(taps, dim=-1).max(dim=-1)
        i, j = tap // k[1], tap % k[1]
        # A window of -inf only: torch points to the window's first position inside the input.
        all_inf = values == -math.inf
        i = torch.where(all_inf, _first_inside(H_out, s[0], p[0], d[0], input.device).view(-1, 1), i)
        j = torch.where(all_inf, _first_inside(W_out, s[1], p[1], d[1], input.device), j)
        rows = torch.arange(H_out, device=input.device).view(-1, 1) * s[0] - p[0] + i * d[0]
        cols = torch.arange(W_out, device=input.device) * s[1] - p[1] + j * d[1]
        indices = rows * W + cols  # flat position in the H W plane, as torch's
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        ctx.input_shape = input.shape
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        (indices,) = ctx.saved_tensors
        N, C, H, W = ctx.input_shape
        index, grad = indices.reshape(N, C, -1), grad_values.reshape(N, C, -1)
        inside = index < H * W  # a window that misses the input entirely points past it, as torch's
        grad_input = grad_values.new_zeros(N, C, H * W)
        grad_input.scatter_add_(2, index.clamp(max=H * W - 1), torch.where(inside, grad, 0.0))
        return grad_input.view(N, C, H, W), None, None, None, None, None


def _window_sizes(size: int, output_length: int, kernel: int, stride: int, padding: int,
                  count_include_pad: bool, device) -> Tensor:
    """How many positions each window along one axis averages over: inside the input and, with
    ``count_include_pad``, the padding (never the part of a ``ceil_mode`` window past it)."""
    start = torch.arange(output_length, device=device) * stride - padding
    end = (start + kernel).clamp(max=size + padding)
    if not count_include_pad:
        start, end = start.clamp(min=0), end.clamp(max=size)
    return end - start


class AvgPool2dFunction(torch.autograd.Function):
    r"""Average over each window: ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    Forward: $Y = \frac{1}{m} \sum_{i,j} X_{ij}$, the sum of what the $k_h k_w$ taps meet divided
    by the window's size $m$ (``divisor_override`` if given). Backward: each input in the window
    moved the output by $1/m$, so each tap's positions get $\delta / m$ added (col2im's loop).

    :param input: ``(N, C, H, W)``.
    :param kernel_size: the window $(k_h, k_w)$: an int or a pair.
    :param stride: the step between windows (None: ``kernel_size``).
    :param padding: added on each side (at most half the kernel): an int or a pair.
    :param ceil_mode: round the output size up: a last, partial window is kept.
    :param count_include_pad: count the padding in the divisor.
    :param divisor_override: divide every window's sum by this instead, or None.
    """

    @staticmethod
    def forward(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None):
        if divisor_override is not None and (isinstance(divisor_override, bool)
                                             or not isinstance(divisor_override, int)
                                             or divisor_override == 0):
            raise ValueError(f"divisor_override must be None or a non-zero int, got {divisor_override!r}")
        k, s, p, d, out, pads = _pool_arguments(input, kernel_size, stride, padding, 1, ceil_mode)
        H, W = input.shape[2:]
        x_p = pad(input, pads)
        total = sum(_tap(x_p, i, j, s, d, out) for i in range(k[0]) for j in range(k[1]))
        if divisor_override is not None:
            m = torch.full(out, float(divisor_override), dtype=input.dtype, device=input.device)
        else:
            m_h = _window_sizes(H, out[0], k[0], s[0], p[0], count_include_pad, input.device)
            m_w = _window_sizes(W, out[1], k[1], s[1], p[1], count_include_pad, input.device)
            m = (m_h.view(-1, 1) * m_w).to(input.dtype)  # [H_out, W_out]
        ctx.save_for_backward(m)
        ctx.geometry = ((H, W), x_p.shape, k, s, pads, out)
        return total / m

    @staticmethod
    def backward(ctx, grad_output):
        (m,) = ctx.saved_tensors
        (H, W), padded_shape, k, s, pads, out = ctx.geometry
        share = grad_output / m
        grad_x_p = grad_output.new_zeros(padded_shape)
        for i in range(k[0]):
            for j in range(k[1]):
                _tap(grad_x_p, i, j, s, (1, 1), out).add_(share)
        top, _, left, _ = pads
        return grad_x_p[:, :, top:top + H, left:left + W], None, None, None, None, None, None


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    r"""Max pooling, like :func:`torch.nn.functional.max_pool2d`:
    $Y_{n,c,y,x} = \max_{i,j} X_{n,c,\,y s_h + i d_h,\,x s_w + j d_w}$.

    ``(N, C, H, W) -> (N, C, H_out, W_out)`` (or unbatched ``(C, H, W)``), and with
    ``return_indices`` also each maximum's flat position in its ``H W`` plane (padding counts
    as $-\infty$).

    :param input: ``(N, C, H, W)`` or ``(C, H, W)``.
    :param kernel_size: the window $(k_h, k_w)$: an int or a pair.
    :param stride: the step between windows (None: ``kernel_size``).
    :param padding: added on each side (at most half the kernel): an int or a pair.
    :param dilation: the spacing between window taps: an int or a pair.
    :param ceil_mode: round the output size up: a last, partial window is kept.
    :param return_indices: also return the indices (as ``max_unpool2d`` takes them).
    """
    x, unbatched = as_batch(input, 4, "[N, C, H, W]")
    values, indices = MaxPool2dFunction.apply(x, kernel_size, stride, padding, dilation, ceil_mode)
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def avg_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    r"""Average pooling, like :func:`torch.nn.functional.avg_pool2d`:
    $Y_{n,c,y,x} = \frac1m \sum_{i,j} X_{n,c,\,y s_h + i,\,x s_w + j}$.

    ``(N, C, H, W) -> (N, C, H_out, W_out)`` (or unbatched ``(C, H, W)``). The part of a
    ``ceil_mode`` window past the padding never counts in the divisor $m$.

    :param input: ``(N, C, H, W)`` or ``(C, H, W)``.
    :param kernel_size: the window $(k_h, k_w)$: an int or a pair.
    :param stride: the step between windows (None: ``kernel_size``).
    :param padding: added on each side (at most half the kernel): an int or a pair.
    :param ceil_mode: round the output size up: a last, partial window is kept.
    :param count_include_pad: count the padding in the divisor.
    :param divisor_override: divide every window's sum by this instead, or None.
    """
    x, unbatched = as_batch(input, 4, "[N, C, H, W]")
    y = AvgPool2dFunction.apply(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                divisor_override)
    return y.squeeze(0) if unbatched else y


class MaxPool2d(nn.Module):
    """Module form of :func:`max_pool2d`, like :class:`torch.nn.MaxPool2d` (same arguments, in
    torch's order): ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    :param kernel_size: the window $(k_h, k_w)$: an int or a pair.
    :param stride: the step between windows (None: ``kernel_size``).
    :param padding: added on each side (at most half the kernel): an int or a pair.
    :param dilation: the spacing between window taps: an int or a pair.
    :param return_indices: also return each maximum's flat position in its ``H W`` plane.
    :param ceil_mode: round the output size up: a last, partial window is kept.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 dilation: IntPair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        _pool_settings(kernel_size, stride, padding, dilation)  # the checks, before any input
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(nn.Module):
    """Module form of :func:`avg_pool2d`, like :class:`torch.nn.AvgPool2d`:
    ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    :param kernel_size: the window $(k_h, k_w)$: an int or a pair.
    :param stride: the step between windows (None: ``kernel_size``).
    :param padding: added on each side (at most half the kernel): an int or a pair.
    :param ceil_mode: round the output size up: a last, partial window is kept.
    :param count_include_pad: count the padding in the divisor.
    :param divisor_override: divide every window's sum by this instead, or None.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        _pool_settings(kernel_size, stride, padding, 1)  # the checks, before any input
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LeNet5(nn.Sequential):
    """LeNet-5 (LeCun et al. 1998): ``(N, in_channels, 28, 28) -> (N, num_classes)`` class scores.

    C1: 6 kernels 5×5 (padding 2 keeps 28×28, the paper's 32×32 input) → S2: 2×2 pooling →
    C3: 16 kernels 5×5 → S4: 2×2 pooling → C5: 120 units on the 16×5×5 maps → F6: 84 → 10.
    ``activation="tanh"`` and ``pooling="avg"`` are the paper's choices; ``"relu"`` and
    ``"max"`` the modern ones. 61,706 parameters for 1 input channel and 10 classes.

    :param num_classes: the number of outputs (class scores).
    :param in_channels: the images' channels.
    :param activation: ``"tanh"`` or ``"relu"``.
    :param pooling: ``"avg"`` or ``"max"``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, activation: str = "tanh",
                 pooling: str = "avg") -> None:
        Act = {"tanh": Tanh, "relu": ReLU}[check_choice(activation, "activation", ("tanh", "relu"))]
        Pool = {"avg": AvgPool2d, "max": MaxPool2d}[check_choice(pooling, "pooling", ("avg", "max"))]
        check_int(num_classes, "num_classes")
        check_int(in_channels, "in_channels")
        super().__init__(
            Conv2d(in_channels, 6, 5, padding=2), Act(), Pool(2),
            Conv2d(6, 16, 5), Act(), Pool(2), nn.Flatten(),
            Linear(16 * 5 * 5, 120), Act(), Linear(120, 84), Act(), Linear(84, num_classes),
        )


# --- Data augmentation: moved, turned and zoomed copies of the images ---------------------------


def _per_image(value: object, name: str, n: int, like: Tensor, size: tuple[int, ...] = ()) -> Tensor:
    """``value`` (a number, a tuple, or a tensor of shape ``(N, *size)``) as a tensor ``(N, *size)``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, tuple, list, Tensor)):
        raise TypeError(f"{name} must be a number, a tuple or a tensor, got {type(value).__name__}")
    t = torch.as_tensor(value, dtype=like.dtype, device=like.device)
    if t.shape == size:
        t = t.expand(n, *size)
    if t.shape != (n, *size):
        raise ValueError(f"{name} must have shape {size} or {(n, *size)} for {n} images, "
                         f"got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite, got {value!r}")
    return t


def affine_images(input: Tensor, angle: float | Tensor = 0.0,
                  translate: tuple[float, float] | Tensor = (0.0, 0.0),
                  scale: float | Tensor = 1.0) -> Tensor:
    r"""Each image turned by ``angle`` degrees (counter-clockwise as drawn, about its centre), zoomed
    by ``scale`` and moved by ``translate`` $= (t_x, t_y)$ pixels (right, down):
    ``(N, C, H, W) -> (N, C, H, W)``.

    In pixel coordinates $q$ measured from the image's centre (rows downward), output pixel $q$
    takes the input at $p = R_{-\theta}(q - t)/\text{scale}$, with $R_{-\theta}$ the turn by
    $-\theta$: $p_x = (\cos\theta\, q'_x - \sin\theta\, q'_y)/\text{scale}$,
    $p_y = (\sin\theta\, q'_x + \cos\theta\, q'_y)/\text{scale}$ for $q' = q - t$, interpolated
    bilinearly between the four nearest pixels; outside the image counts as 0 (the digits'
    background). An integer ``translate`` with ``angle = 0`` and ``scale = 1`` moves every
    pixel exactly; ``scale`` above 1 shows a crop of $H/\text{scale} \times W/\text{scale}$ pixels
    enlarged to $H \times W$. Used to make augmented copies of a training set (no gradient is needed
    through it; sampling is by :func:`torch.nn.functional.grid_sample`).

    :param input: the images, ``(N, C, H, W)``.
    :param angle: degrees, a number or one per image ``(N,)``.
    :param translate: $(t_x, t_y)$ in pixels, a pair or one per image ``(N, 2)``.
    :param scale: the zoom (above 1 enlarges), a positive number or one per image ``(N,)``.
    """
    x = check_tensor(input)
    if x.dim() != 4:
        raise ValueError(f"input must be 4-D [N, C, H, W], got shape {tuple(x.shape)}")
    n, _, h, w = x.shape
    theta = torch.deg2rad(_per_image(angle, "angle", n, x))
    shift = _per_image(translate, "translate", n, x, (2,))
    zoom = _per_image(scale, "scale", n, x)
    if (zoom <= 0).any():
        raise ValueError(f"scale must be positive, got {scale!r}")
    # grid_sample's coordinates run from -1 to 1 across the image: pixels q = D q_n, D = diag(W/2, H/2).
    half = x.new_tensor([w / 2, h / 2])
    cos, sin = torch.cos(theta) / zoom, torch.sin(theta) / zoom
    M = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)  # (N, 2, 2), p = M (q - t)
    M_n = M * half.view(1, 1, 2) / half.view(1, 2, 1)  # D^-1 M D
    offset = -(M @ shift.unsqueeze(2)).squeeze(2) / half  # D^-1 (-M t)
    grid = F.affine_grid(torch.cat([M_n, offset.unsqueeze(2)], 2), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
