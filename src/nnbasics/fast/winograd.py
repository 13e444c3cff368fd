r"""Winograd's minimal filtering F(2×2, 3×3) for 3×3 stride-1 convolution, from the appendix
"Making it fast" (Lavin & Gray 2016).

A direct 3×3 convolution spends $2 \cdot 2 \cdot 9 = 36$ multiplies on a 2×2 block of outputs
(per input/output channel pair). Winograd's algorithm gets the same four numbers from a 4×4 input
tile $d$ and the 3×3 kernel $g$ with **16** multiplies, 2.25× fewer:

$$
Y = A^\top \bigl[(G g G^\top) \odot (B^\top d B)\bigr] A,
$$

with the constant matrices

$$
B^\top = \begin{bmatrix} 1 & 0 & -1 & 0\\ 0 & 1 & 1 & 0\\ 0 & -1 & 1 & 0\\ 0 & 1 & 0 & -1 \end{bmatrix},\quad
G = \begin{bmatrix} 1 & 0 & 0\\ \tfrac12 & \tfrac12 & \tfrac12\\ \tfrac12 & -\tfrac12 & \tfrac12\\
0 & 0 & 1 \end{bmatrix},\quad
A^\top = \begin{bmatrix} 1 & 1 & 1 & 0\\ 0 & 1 & -1 & -1 \end{bmatrix}.
$$

The transforms need only additions (and halvings, for the kernels), though this module runs them
as small dense matrix products (see :class:`WinogradConv2dFunction`). Summed over the input
channels, the 16 elementwise products of each tile become 16 matrix products: $M_\xi = V_\xi U_\xi^\top$
for each of the 16 positions $\xi$ of the 4×4 Winograd domain, with $U = G g G^\top$
``[16, C_out, C_in]`` and $V = B^\top d B$ ``[16, tiles, C_in]``. That is where the time goes,
and where the 2.25× is saved (:func:`winograd_multiplies`, :func:`direct_multiplies`).

The backward pass goes back through the same linear maps (each transposed): $dM = A\, dY A^\top$,
then $dU_\xi^\top = V_\xi^\top dM_\xi$ and $dV_\xi = dM_\xi U_\xi$ (16 matrix products each),
$dg = G^\top dU\, G$, and $dd = B\, dV B^\top$ added back onto the overlapping input tiles. So the
backward pass saves the same 2.25× of multiplies. ``tests/test_fast_winograd.py`` checks values
and gradients against :func:`torch.nn.functional.conv2d`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from nnbasics._checks import check_int
from nnbasics.conv import as_batch, conv2d_arguments

__all__ = ["WinogradConv2dFunction", "direct_multiplies", "transform_multiplies", "winograd_conv2d",
           "winograd_multiplies"]

IntPair = int | tuple[int, int]

# The transforms (Lavin & Gray 2016, F(2x2, 3x3)).
B_T = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))  # input:  V = B^T d B
G = ((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1))  # kernel: U = G g G^T
A_T = ((1, 1, 1, 0), (0, 1, -1, -1))  # output: Y = A^T M A


def _matrices(like: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    r"""$G$ [4, 3], and the two-sided transforms as single matrices on flattened tiles:
    $\operatorname{vec}(B^\top d B) = (B^\top \otimes B^\top) \operatorname{vec}(d)$ [16, 16] and
    $\operatorname{vec}(A^\top M A) = (A^\top \otimes A^\top) \operatorname{vec}(M)$ [4, 16]."""
    b_t, a_t = (like.new_tensor(m) for m in (B_T, A_T))
    return like.new_tensor(G), torch.kron(b_t, b_t), torch.kron(a_t, a_t)


def _tile_grid(h: int, w: int, pads: tuple[int, int]) -> tuple[int, int, int, int]:
    """Output size (H_out, W_out) and the number of 2×2 tiles along each side (odd sizes round up)."""
    ho, wo = h + 2 * pads[0] - 2, w + 2 * pads[1] - 2
    return ho, wo, math.ceil(ho / 2), math.ceil(wo / 2)


# Images go through in chunks of about this many tile values (1 MB in float32): each chunk's
# tiles, transforms and products then stay in the processor's cache, and its buffers are reused.
_CHUNK_VALUES = 2**18


def _products(v: Tensor, u_t: Tensor, out: Tensor) -> Tensor:
    r"""The elementwise products of all tiles, summed over the input channels: $M_\xi = V_\xi U_\xi^\top$
    for the 16 positions $\xi$, ``[16, T, C_in] @ [16, C_in, C_out] -> [16, T, C_out]``."""
    return torch.bmm(v, u_t, out=out)


def _input_tiles(xp: Tensor, n0: int, b: int, tiles: tuple[int, int], out: Tensor) -> Tensor:
    r"""Copy the 4×4 input tiles (stride 2) of images ``n0 .. n0 + b`` of the padded channels-last
    input ``xp`` ``[N, H_p, W_p, C]`` into ``out`` ``[4, 4, b, t_h, t_w, C]``; return them as
    ``[16, b t_h t_w C]``, one flattened tile position per row."""
    th, tw = tiles
    sn, sh, sw, sc = xp.stride()
    view = xp.as_strided((4, 4, b, th, tw, xp.shape[3]), (sh, sw, sn, 2 * sh, 2 * sw, sc),
                         xp.storage_offset() + n0 * sn)
    return out[:, :, :b].copy_(view).view(16, -1) if b == out.shape[2] else view.reshape(16, -1)


class WinogradConv2dFunction(torch.autograd.Function):
    r"""3×3, stride-1 cross-correlation with Winograd F(2×2, 3×3): the input ``[N, C_in, H, W]``
    with kernels ``[C_out, C_in, 3, 3]`` and zero padding ``pads`` (rows, columns) gives
    ``[N, C_out, H + 2 p_h - 2, W + 2 p_w - 2]``.

    The output is cut into 2×2 tiles, $t_h \times t_w$ per image; an odd output size gets one more
    row or column of tiles (the padded input grows by zeros to fit) and the extra outputs are
    dropped. Tile $(i, j)$ reads the 4×4 input tile at $(2i, 2j)$: neighbouring tiles overlap by 2.
    What makes it fast in PyTorch:

    - each two-sided transform is *one* matrix product on the flattened tiles (the Kronecker form
      of ``_matrices``): more multiplies than the additions-only form, but one BLAS call
      instead of eight strided elementwise passes (one per addition or subtraction, four on the
      rows and then four on the columns, for $B^\top d B$ and for $A^\top M A$ alike);
    - the tiles are channels-last (``[16, T, C]``), so the 16 products are tall, thin matrix
      products, and copying out a tile reads whole runs of channels;
    - the images go through in chunks small enough for the cache (``_CHUNK_VALUES``), each chunk
      written with ``out=`` into the same buffers. The backward pass recomputes a chunk's input
      tiles instead of keeping all of them (4 times the input) from the forward pass.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, pads):
        n, c, h, w = x.shape
        o = weight.shape[0]
        ho, wo, th, tw = _tile_grid(h, w, pads)
        g, kron_b, kron_a = _matrices(x)
        xp = x.new_zeros(n, 2 * th + 2, 2 * tw + 2, c)  # padded, channels last
        xp[:, pads[0]:pads[0] + h, pads[1]:pads[1] + w] = x.permute(0, 2, 3, 1)
        u_t = (g @ weight @ g.T).permute(2, 3, 1, 0).reshape(16, c, o)  # U = G g G^T, as [16, C, O]
        chunk = max(1, _CHUNK_VALUES // (16 * th * tw * max(c, o)))
        d = x.new_empty(4, 4, chunk, th, tw, c)  # the buffers every chunk reuses
        v, m = x.new_empty(16, chunk * th * tw * c), x.new_empty(16, chunk * th * tw, o)
        y = x.new_empty(n, o, th, 2, tw, 2)  # tile (i, j), position (p, q) -> output (2i + p, 2j + q)
        for n0 in range(0, n, chunk):
            b = min(chunk, n - n0)
            tiles = _input_tiles(xp, n0, b, (th, tw), d)  # [16, b th tw C]
            vb = torch.mm(kron_b, tiles, out=v[:, :tiles.shape[1]])  # V = B^T d B
            mb = _products(vb.view(16, -1, c), u_t, out=m[:, :b * th * tw])  # [16, b th tw, O]
            y_tiles = kron_a @ mb.view(16, -1)  # Y = A^T M A, [4, b th tw O]
            y[n0:n0 + b] = y_tiles.view(2, 2, b, th, tw, o).permute(2, 5, 3, 0, 4, 1)
        y = y.view(n, o, 2 * th, 2 * tw)[:, :, :ho, :wo]
        if bias is not None:
            y = y + bias.view(1, -1, 1, 1)
        ctx.save_for_backward(xp, u_t)
        ctx.meta = (x.shape, pads, (th, tw), chunk, bias is not None)
        return y.contiguous()

    @staticmethod
    def backward(ctx, grad_out):
        xp, u_t = ctx.saved_tensors
        (n, c, h, w), pads, (th, tw), chunk, has_bias = ctx.meta
        o, (ho, wo) = grad_out.shape[1], grad_out.shape[2:]
        g, kron_b, kron_a = _matrices(grad_out)
        need_x, need_w = ctx.needs_input_grad[:2]
        grad_y = grad_out.new_zeros(n, o, 2 * th, 2 * tw)
        grad_y[:, :, :ho, :wo] = grad_out  # the dropped outputs get no gradient
        grad_y = grad_y.view(n, o, th, 2, tw, 2)
        d = xp.new_empty(4, 4, chunk, th, tw, c)
        grad_xp = torch.zeros_like(xp) if need_x else None
        du_t = u_t.new_zeros(u_t.shape) if need_w else None
        for n0 in range(0, n, chunk):
            b = min(chunk, n - n0)
            gy = grad_y[n0:n0 + b].permute(3, 5, 0, 2, 4, 1).reshape(4, -1)  # [4, b th tw O]
            dm = (kron_a.T @ gy).view(16, -1, o)  # dM = A dY A^T
            if need_x:
                dd = kron_b.T @ torch.bmm(dm, u_t.mT).view(16, -1)  # dd = B dV B^T, dV = dM U
                dd = dd.view(2, 2, 2, 2, b, th, tw, c)  # (row block, row, column block, column)
                blocks = grad_xp[n0:n0 + b].view(b, th + 1, 2, tw + 1, 2, c)
                for bi in range(2):  # tiles overlap by one 2x2 block: add each onto its place
                    for bj in range(2):
                        blocks[:, bi:bi + th, :, bj:bj + tw] += dd[bi, :, bj].permute(2, 3, 0, 4, 1, 5)
            if need_w:
                v = kron_b @ _input_tiles(xp, n0, b, (th, tw), d)  # V again, for this chunk
                du_t.baddbmm_(v.view(16, -1, c).mT, dm)  # dU^T += V^T dM
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = grad_xp[:, pads[0]:pads[0] + h, pads[1]:pads[1] + w].permute(0, 3, 1, 2)
        if need_w:
            grad_w = g.T @ du_t.view(4, 4, c, o).permute(3, 2, 0, 1) @ g  # dg = G^T dU G
        if has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum(dim=(0, 2, 3))
        return grad_x, grad_w, grad_b, None


def winograd_conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
                    padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """:func:`nnbasics.conv.conv2d` for 3×3 kernels at stride 1, with Winograd F(2×2, 3×3):
    ``[N, C_in, H, W]`` input (or one image ``[C_in, H, W]``), ``[C_out, C_in, 3, 3]`` weight,
    optional ``[C_out]`` bias -> ``[N, C_out, H + 2 p_h - 2, W + 2 p_w - 2]``. The arguments are
    :func:`nnbasics.conv.conv2d`'s, checked by the same code; then Winograd's limits: ``stride``,
    ``dilation`` and ``groups`` exist for torch's signature and must be 1."""
    x, unbatched = as_batch(input, 4, "[N, C, H, W]")
    s, pads, d = conv2d_arguments(x, weight, bias, stride, padding, dilation, groups)
    if tuple(weight.shape[2:]) != (3, 3):
        raise ValueError(f"weight must be [out_channels, in_channels, 3, 3] (Winograd F(2x2, 3x3) "
                         f"needs 3x3 kernels), got shape {tuple(weight.shape)}")
    limits = (("stride", stride, s), ("dilation", dilation, d), ("groups", groups, (groups,)))
    for name, value, checked in limits:
        if any(v != 1 for v in checked):
            raise ValueError(f"{name} must be 1 for Winograd F(2x2, 3x3), got {value!r} "
                             "(use nnbasics.conv.conv2d for other values)")
    y = WinogradConv2dFunction.apply(x, weight, bias, (pads[0], pads[2]))  # 3x3 'same' pads evenly
    return y.squeeze(0) if unbatched else y


def winograd_multiplies(in_channels: int, out_channels: int, output_size: IntPair) -> int:
    """Multiplies of the elementwise-product stage for one image: 16 per 2×2 output tile per
    channel pair (an odd output size rounds the tiles up)."""
    ho, wo = check_int(output_size, "output_size", 1, size=2)
    return 16 * math.ceil(ho / 2) * math.ceil(wo / 2) * in_channels * out_channels


def transform_multiplies(in_channels: int, out_channels: int, output_size: IntPair) -> int:
    """Multiplies of the input and output transforms for one image, as this module computes them
    (dense 16×16 and 4×16 matrix products per tile): 256 per tile per input channel, 64 per tile
    per output channel. Per channel pair that is $256/C_out + 64/C_in$, small beside 16 when
    both are large (5 at 64 channels)."""
    ho, wo = check_int(output_size, "output_size", 1, size=2)
    return math.ceil(ho / 2) * math.ceil(wo / 2) * (256 * in_channels + 64 * out_channels)


def direct_multiplies(in_channels: int, out_channels: int, output_size: IntPair) -> int:
    """Multiplies of a direct 3×3 convolution for one image: 9 per output per channel pair,
    36 per 2×2 output tile."""
    ho, wo = check_int(output_size, "output_size", 1, size=2)
    return 9 * ho * wo * in_channels * out_channels
