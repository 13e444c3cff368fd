"""Convolution and pooling with hand-written backward passes, layer counting, and LeNet-5.

Taught in the chapter "Convolutional neural networks".

**How the convolution is computed: im2col, or shifted slices at stride 1.** The padded input
is viewed, without copying, as all its $k_h \times k_w$ windows (``torch.as_strided``); those
windows, flattened, are the rows of a matrix, and the convolution becomes *one matrix product*
with the flattened kernels. That is the im2col formulation most libraries use: a single large
``matmul`` runs at the speed of the machine's BLAS, where a loop over output positions in Python
would be hundreds of times slower. The backward pass reuses it: the kernels' gradient is another
matrix product with the same windows, and the input's gradient multiplies by the kernels and adds
each column back onto the window it came from (col2im), one strided slice per kernel position.
Autograd through ``unfold`` would do the same arithmetic but keep large intermediate buffers;
writing the backward by hand keeps it to three matrix products (:class:`Conv2dFunction`).

The column matrix holds every input value $k_h k_w$ times. On a large layer (64 channels of
32×32, 3×3 kernels, batch 32: 75 MB) building it and streaming it through the processor takes as
long as the arithmetic. At stride 1 there is a way around it: in a flattened padded image, kernel
tap $(i, j)$ reads, for *every* output position, the input position shifted by the same
$i W_p + j$ (for dilation 1), so the convolution is a sum of $k_h k_w$ matrix products on
shifted contiguous slices of the input, with no copy at all ("implicit GEMM",
:class:`~nnbasics.fast.conv.ShiftedConv2dFunction`).
Each of those products sums over only the $C$ input channels, so it wins only with many channels
and a large layer; :func:`conv2d` picks it there and im2col everywhere else.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nnbasics import init
from nnbasics._checks import check_int, check_tensor
from nnbasics.activations import ReLU, Tanh
from nnbasics.fast.conv import ShiftedConv2dFunction, use_shifted_slices
from nnbasics.layers import Linear

__all__ = [
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "Conv2dFunction",
    "LeNet5",
    "MaxPool2d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_flops",
    "conv_macs",
    "conv_output_size",
    "conv_parameters",
    "max_pool2d",
]

IntPair = int | tuple[int, int]


def _pair(value: object, name: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if (not isinstance(pair, tuple | list) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in pair)):
        raise ValueError(f"{name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_output_size(input_size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    r"""$\left\lfloor \dfrac{n + 2p - d(k - 1) - 1}{s} \right\rfloor + 1$, the output length of a
    convolution or pooling ($\lceil\cdot\rceil$ with ``ceil_mode``); for $d = 1$ this is
    $\lfloor (n + 2p - k)/s \rfloor + 1$."""
    span = input_size + 2 * padding - dilation * (kernel_size - 1) - 1
    if span < 0:
        raise ValueError(f"kernel of size {kernel_size} (dilation {dilation}) is larger than the padded "
                         f"input of size {input_size + 2 * padding}")
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= input_size + padding:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def conv_parameters(in_channels: int, out_channels: int, kernel_size: IntPair, groups: int = 1,
                    bias: bool = True) -> int:
    r"""$C_\text{out}\cdot\frac{C_\text{in}}{g}\cdot k_h k_w$ weights, plus $C_\text{out}$ biases."""
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    return out_channels * (in_channels // groups) * kh * kw + (out_channels if bias else 0)


def conv_macs(in_channels: int, out_channels: int, kernel_size: IntPair, output_size: IntPair,
              groups: int = 1) -> int:
    r"""Multiply-accumulates of one convolution on one image:
    $H_\text{out} W_\text{out} \cdot C_\text{out} \cdot \frac{C_\text{in}}{g} k_h k_w$."""
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    ho, wo = _pair(output_size, "output_size", 1)
    return ho * wo * out_channels * (in_channels // groups) * kh * kw


def conv_flops(in_channels: int, out_channels: int, kernel_size: IntPair, output_size: IntPair,
               groups: int = 1, bias: bool = True) -> int:
    """Floating-point operations of one convolution on one image.

    Convention: one multiply-accumulate is 2 FLOPs (a multiply and an add), and each bias adds
    one FLOP per output value. Many papers quote MACs instead (:func:`conv_macs`): halve.
    """
    ho, wo = _pair(output_size, "output_size", 1)
    macs = conv_macs(in_channels, out_channels, kernel_size, (ho, wo), groups)
    return 2 * macs + (ho * wo * out_channels if bias else 0)


def _pad(x: Tensor, top: int, bottom: int, left: int, right: int, value: float = 0.0) -> Tensor:
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = x.new_full((n, c, h + top + bottom, w + left + right), value)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _windows(xp: Tensor, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
             out: tuple[int, int]) -> Tensor:
    """A view [N, C, H_out, W_out, k_h, k_w] of every window of the padded input (no copy)."""
    sn, sc, sh, sw = xp.stride()
    return xp.as_strided(
        (xp.shape[0], xp.shape[1], out[0], out[1], kernel[0], kernel[1]),
        (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1]),
    )


class Conv2dFunction(torch.autograd.Function):
    r"""2-D cross-correlation via im2col: $Y = W\,\text{cols}(X) + b$, per group.

    ``cols`` is ``[G, K, N P]``: for each group, one column of $K = C_g k_h k_w$ input values per
    output position of every image ($P = H_\text{out} W_\text{out}$), so the whole batch is *one*
    matrix product per group (many small per-image products would be far slower). Backward:
    $\partial L/\partial W = G\,\text{cols}^\top$, $\partial L/\partial b = \sum G$, and
    $\partial L/\partial X = \text{col2im}(W^\top G)$, with $G$ the output gradient laid out as
    ``[G, O_g, N P]``. Any stride, padding, dilation and groups; :func:`conv2d` uses it for every
    layer except large stride-1 ones with many channels, where
    :class:`~nnbasics.fast.conv.ShiftedConv2dFunction` avoids building ``cols``
    (:func:`~nnbasics.fast.conv.use_shifted_slices` decides).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pads, dilation, groups):
        n = x.shape[0]
        o, cg, kh, kw = weight.shape
        top, bottom, left, right = pads
        xp = _pad(x, top, bottom, left, right)
        ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        win = _windows(xp, (kh, kw), stride, dilation, (ho, wo))  # [N, C, Ho, Wo, kh, kw], a view
        cols = win.permute(1, 4, 5, 0, 2, 3).reshape(groups, cg * kh * kw, n * ho * wo)  # the copy
        out = weight.reshape(groups, o // groups, cg * kh * kw) @ cols  # [G, Og, N P]
        if bias is not None:
            out += bias.view(groups, o // groups, 1)
        ctx.save_for_backward(cols, weight)
        ctx.meta = (x.shape, xp.shape, stride, pads, dilation, groups, bias is not None)
        return out.view(o, n, ho, wo).permute(1, 0, 2, 3).contiguous()  # [N, O, Ho, Wo]

    @staticmethod
    def backward(ctx, grad_out):
        cols, weight = ctx.saved_tensors
        x_shape, xp_shape, stride, pads, dilation, groups, has_bias = ctx.meta
        n, c, h, w_in = x_shape
        o, cg, kh, kw = weight.shape
        ho, wo = grad_out.shape[2:]
        g = grad_out.permute(1, 0, 2, 3).reshape(groups, o // groups, n * ho * wo)  # [G, Og, N P]
        grad_w = (g @ cols.transpose(1, 2)).reshape(weight.shape) if ctx.needs_input_grad[1] else None
        grad_b = g.sum(dim=2).flatten() if has_bias and ctx.needs_input_grad[2] else None
        grad_x = None
        if ctx.needs_input_grad[0]:
            w = weight.reshape(groups, o // groups, cg * kh * kw)
            grad_cols = (w.transpose(1, 2) @ g).view(c, kh, kw, n, ho, wo)  # [G, K, N P]
            gxp = grad_out.new_zeros(xp_shape)
            per_channel = gxp.permute(1, 0, 2, 3)  # [C, N, Hp, Wp], a view of gxp
            for i in range(kh):  # col2im: add each kernel position's values back onto its window
                for j in range(kw):
                    r0, c0 = i * dilation[0], j * dilation[1]
                    per_channel[:, :, r0:r0 + stride[0] * (ho - 1) + 1:stride[0],
                                c0:c0 + stride[1] * (wo - 1) + 1:stride[1]] += grad_cols[:, i, j]
            top, _, left, _ = pads
            grad_x = gxp[:, :, top:top + h, left:left + w_in]
        return grad_x, grad_w, grad_b, None, None, None, None


def _check_4d(x: object, name: str = "input") -> Tensor:
    t = check_tensor(x, name)
    if t.dim() != 4:
        raise ValueError(f"{name} must be 4-D [N, C, H, W], got shape {tuple(t.shape)} "
                         f"(use x.unsqueeze(0) for a single image)")
    return t


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1, *,
           fast: bool = False) -> Tensor:
    """2-D convolution (cross-correlation) of ``[N, C, H, W]`` input with ``[O, C/groups, kH, kW]``
    kernels, like :func:`torch.nn.functional.conv2d`.

    ``padding`` is an int, a pair, ``"valid"`` (no padding) or ``"same"`` (the output has the
    input's size; stride 1 only, as in torch).
    """
    x = _check_4d(input)
    w = check_tensor(weight, "weight")
    if w.dim() != 4:
        raise ValueError("weight must be 4-D [out_channels, in_channels / groups, kH, kW], "
                         f"got {tuple(w.shape)}")
    check_int(groups, "groups")
    if x.shape[1] != w.shape[1] * groups or w.shape[0] % groups:
        raise ValueError(f"channel mismatch: input has {x.shape[1]} channels but weight {tuple(w.shape)} "
                         f"with groups={groups} expects {w.shape[1] * groups} (and out_channels divisible "
                         f"by groups)")
    if bias is not None and check_tensor(bias, "bias").shape != (w.shape[0],):
        raise ValueError(f"bias must have shape ({w.shape[0]},), got {tuple(bias.shape)}")
    s, d = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    kh, kw = w.shape[2:]
    if padding == "valid":
        pads = (0, 0, 0, 0)
    elif padding == "same":
        if s != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions (stride > 1), "
                             "as in torch: give the padding as numbers")
        th, tw = d[0] * (kh - 1), d[1] * (kw - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    elif isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    else:
        ph, pw = _pair(padding, "padding", 0)
        pads = (ph, ph, pw, pw)
    for dim, (size, k, dil, pad) in enumerate(((x.shape[2], kh, d[0], pads[0] + pads[1]),
                                               (x.shape[3], kw, d[1], pads[2] + pads[3]))):
        if size + pad < dil * (k - 1) + 1:
            raise ValueError(f"kernel size {k} (dilation {dil}) is larger than the padded input: "
                             f"{('height', 'width')[dim]} {size} + padding {pad} = {size + pad}")
    if fast and use_shifted_slices(x.shape, w.shape, s, pads, d):
        return ShiftedConv2dFunction.apply(x, w, bias, pads, d, groups)
    return Conv2dFunction.apply(x, w, bias, s, pads, d, groups)


class _ConvNd(nn.Module):
    """What :class:`Conv1d` and :class:`Conv2d` share: the checks, the parameters with torch's
    names, shapes and default initialization (Kaiming-uniform with $a = \\sqrt 5$), the repr."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...] | str, dilation: tuple[int, ...],
                 groups: int, bias: bool) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                             f"divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *kernel_size))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(init.compute_fans(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if not (self.padding == "valid" or (isinstance(self.padding, tuple) and not any(self.padding))):
            text += f", padding={self.padding}"  # torch prints 'same' without quotes too
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """A convolution layer like :class:`torch.nn.Conv2d`: same arguments, parameter names,
    shapes and default initialization (Kaiming-uniform with $a = \\sqrt 5$)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1,
                 bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, _pair(kernel_size, "kernel_size", 1),
                         _pair(stride, "stride", 1),
                         padding if isinstance(padding, str) else _pair(padding, "padding", 0),
                         _pair(dilation, "dilation", 1), groups, bias)

    #: Large stride-1 layers run the shifted-slice convolution of :mod:`nnbasics.fast.conv` (same
    #: numbers); set ``layer.fast = False`` to run the clear :class:`Conv2dFunction` the chapter shows.
    fast = True

    def forward(self, input: Tensor) -> Tensor:
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                      fast=self.fast)


def _single(value: object, name: str, minimum: int) -> int:
    if isinstance(value, tuple | list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1,
           padding: int | str = 0, dilation: int = 1, groups: int = 1) -> Tensor:
    """1-D convolution of ``[N, C, L]`` input with ``[O, C/groups, k]`` kernels, like
    :func:`torch.nn.functional.conv1d`: the 2-D convolution of a height-1 image, so the same
    hand-written im2col forward and backward (a view adds and removes the height axis)."""
    x, w = check_tensor(input), check_tensor(weight, "weight")
    if x.dim() != 3:
        raise ValueError(f"input must be 3-D [N, C, L], got shape {tuple(x.shape)} "
                         f"(use x.unsqueeze(1) for one channel)")
    if w.dim() != 3:
        raise ValueError(f"weight must be 3-D [out_channels, in_channels / groups, k], got {tuple(w.shape)}")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding", 0))
    s, d = _single(stride, "stride", 1), _single(dilation, "dilation", 1)
    return conv2d(x.unsqueeze(2), w.unsqueeze(2), bias, (1, s), pad, (1, d), groups).squeeze(2)


class Conv1d(_ConvNd):
    """A 1-D convolution layer like :class:`torch.nn.Conv1d`: same arguments, parameter names,
    shapes (``weight`` is ``[out_channels, in_channels / groups, kernel_size]``) and default
    initialization, so a torch ``Conv1d`` state dict loads."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, (_single(kernel_size, "kernel_size", 1),),
                         (_single(stride, "stride", 1),),
                         padding if isinstance(padding, str) else (_single(padding, "padding", 0),),
                         (_single(dilation, "dilation", 1),), groups, bias)

    def forward(self, input: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv1d(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)


def _pool_geometry(x, kernel_size, stride, padding, ceil_mode):
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None or stride == [] else _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding {p} must be at most half the kernel size {k}")
    out = tuple(conv_output_size(x.shape[2 + i], k[i], s[i], p[i], 1, ceil_mode) for i in range(2))
    # Extra room on the bottom/right for windows that ceil_mode lets run past the padding.
    extra = tuple(max((out[i] - 1) * s[i] + k[i] - (x.shape[2 + i] + 2 * p[i]), 0) for i in range(2))
    return k, s, p, out, extra


class MaxPool2dFunction(torch.autograd.Function):
    """Maximum over each window; the backward pass routes each gradient to its window's argmax.

    Forward stacks the $k_h k_w$ strided views of the padded input (one per kernel position) into
    ``[N, C, H_out, W_out, k_h k_w]`` and takes one reduction, ``max(dim=-1)``, which also gives
    the argmax (the first one on ties, and NaN wins, as in torch). Backward adds each output
    gradient onto its argmax's position in the input with one ``scatter_add_``.
    """

    @staticmethod
    def forward(ctx, x, k, s, p, out, extra):
        xp = _pad(x, p[0], p[0] + extra[0], p[1], p[1] + extra[1], value=-math.inf)
        win = _windows(xp, k, s, (1, 1), out)  # [N, C, Ho, Wo, kh, kw], a view
        stacked = torch.stack([win[..., i, j] for i in range(k[0]) for j in range(k[1])], dim=-1)
        values, arg = stacked.max(dim=-1)
        # Position of each argmax in the padded input, flattened over (H, W): the window's corner
        # plus the kernel position's offset, looked up with take() (integer division is slow).
        wp = xp.shape[3]
        offsets = torch.tensor([i * wp + j for i in range(k[0]) for j in range(k[1])], device=x.device)
        rows, cols = torch.arange(out[0], device=x.device), torch.arange(out[1], device=x.device)
        corners = rows.view(-1, 1) * (s[0] * wp) + cols * s[1]
        ctx.save_for_backward(offsets.take(arg) + corners)
        ctx.meta = (x.shape, xp.shape, p)
        return values

    @staticmethod
    def backward(ctx, grad_out):
        (index,) = ctx.saved_tensors
        x_shape, xp_shape, p = ctx.meta
        n, c = x_shape[:2]
        gxp = grad_out.new_zeros(n, c, xp_shape[2] * xp_shape[3])
        gxp.scatter_add_(2, index.reshape(n, c, -1), grad_out.reshape(n, c, -1))
        gxp = gxp.view(n, c, xp_shape[2], xp_shape[3])
        return gxp[:, :, p[0]:p[0] + x_shape[2], p[1]:p[1] + x_shape[3]], None, None, None, None, None


class AvgPool2dFunction(torch.autograd.Function):
    """Average over each window (divisor from ``counts``); backward spreads $g/\\text{count}$ evenly."""

    @staticmethod
    def forward(ctx, x, k, s, p, out, extra, counts):
        xp = _pad(x, p[0], p[0] + extra[0], p[1], p[1] + extra[1])
        win = _windows(xp, k, s, (1, 1), out)
        ctx.meta = (x.shape, xp.shape, k, s, p, out)
        ctx.save_for_backward(counts)
        return win.sum(dim=(-2, -1)) / counts

    @staticmethod
    def backward(ctx, grad_out):
        (counts,) = ctx.saved_tensors
        x_shape, xp_shape, k, s, p, out = ctx.meta
        share = grad_out / counts
        gxp = grad_out.new_zeros(xp_shape)
        for i in range(k[0]):
            for j in range(k[1]):
                gxp[:, :, i:i + s[0] * (out[0] - 1) + 1:s[0], j:j + s[1] * (out[1] - 1) + 1:s[1]] += share
        return gxp[:, :, p[0]:p[0] + x_shape[2], p[1]:p[1] + x_shape[3]], None, None, None, None, None, None


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               ceil_mode: bool = False) -> Tensor:
    """Max pooling of ``[N, C, H, W]`` input, like :func:`torch.nn.functional.max_pool2d`
    (``stride`` defaults to ``kernel_size``; padding counts as $-\\infty$)."""
    x = _check_4d(input)
    k, s, p, out, extra = _pool_geometry(x, kernel_size, stride, padding, ceil_mode)
    return MaxPool2dFunction.apply(x, k, s, p, out, extra)


def avg_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Average pooling, like :func:`torch.nn.functional.avg_pool2d`: padding counts in the
    divisor if ``count_include_pad``; the part of a ``ceil_mode`` window past the padding never does."""
    x = _check_4d(input)
    k, s, p, out, extra = _pool_geometry(x, kernel_size, stride, padding, ceil_mode)
    h, w = x.shape[2:]
    mask = x.new_zeros(1, 1, h + 2 * p[0] + extra[0], w + 2 * p[1] + extra[1])
    if count_include_pad:
        mask[:, :, : h + 2 * p[0], : w + 2 * p[1]] = 1.0
    else:
        mask[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = 1.0
    counts = _windows(mask, k, s, (1, 1), out).sum(dim=(-2, -1))
    return AvgPool2dFunction.apply(x, k, s, p, out, extra, counts)


class MaxPool2d(nn.Module):
    """Module form of :func:`max_pool2d`, like :class:`torch.nn.MaxPool2d` (no dilation)."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.ceil_mode = kernel_size, stride, padding, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(nn.Module):
    """Module form of :func:`avg_pool2d`, like :class:`torch.nn.AvgPool2d`."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LeNet5(nn.Sequential):
    """LeNet-5 (LeCun et al. 1998) for ``[N, in_channels, 28, 28]`` images.

    C1: 6 kernels 5×5 (padding 2 keeps 28×28, the paper's 32×32 input) → S2: 2×2 pooling →
    C3: 16 kernels 5×5 → S4: 2×2 pooling → C5: 120 units on the 16×5×5 maps → F6: 84 → 10.
    ``activation="tanh"`` and ``pooling="avg"`` are the paper's choices; ``"relu"`` and
    ``"max"`` the modern ones. 61,706 parameters for 1 input channel and 10 classes.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, activation: str = "tanh",
                 pooling: str = "avg") -> None:
        Act = {"tanh": Tanh, "relu": ReLU}[activation]
        Pool = {"avg": AvgPool2d, "max": MaxPool2d}[pooling]
        super().__init__(
            Conv2d(in_channels, 6, 5, padding=2), Act(), Pool(2),
            Conv2d(6, 16, 5), Act(), Pool(2), nn.Flatten(),
            Linear(16 * 5 * 5, 120), Act(), Linear(120, 84), Act(), Linear(84, num_classes),
        )

