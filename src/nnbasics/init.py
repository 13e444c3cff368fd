"""Weight initialization schemes, written from their formulas.

Taught in the chapter "Weight initialization". Each function fills a tensor in place, with the
name and signature of its :mod:`torch.nn.init` twin. The schemes differ only in the bound or
standard deviation they compute from the tensor's fans; the random draw itself is the tensor's
own ``uniform_``/``normal_``, so with the same ``generator`` seed the values equal torch's.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from nnbasics._checks import check_choice, check_real, check_tensor

__all__ = [
    "calculate_gain",
    "compute_fans",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
          "conv_transpose3d")
NONLINEARITIES = (*LINEAR, "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _check(tensor: object) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    return tensor


def compute_fans(tensor: Tensor) -> tuple[int, int]:
    r"""The fans of a weight: ``(out, in, *kernel) -> (fan_in, fan_out)``, two ints.

    $\text{fan\_in} = \text{in} \cdot \prod \text{kernel}$ and
    $\text{fan\_out} = \text{out} \cdot \prod \text{kernel}$.

    :param tensor: a weight with at least 2 dimensions, ``(out, in, *kernel)``.
    """
    t = _check(tensor)
    if t.dim() < 2:
        raise ValueError(f"fan_in and fan_out are undefined for a tensor with fewer than 2 "
                         f"dimensions, got shape {tuple(t.shape)}")
    receptive_field = math.prod(t.shape[2:])
    return t.shape[1] * receptive_field, t.shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The gain that keeps the signal's scale through a layer followed by ``nonlinearity``.

    1 for linear layers and the sigmoid, $5/3$ for tanh, $\sqrt 2$ for ReLU,
    $\sqrt{2/(1 + a^2)}$ for Leaky ReLU with negative slope $a$ (``param``, default 0.01),
    $3/4$ for SELU: torch's table.

    :param nonlinearity: the activation's name: ``"linear"``, a convolution's name, ``"sigmoid"``,
        ``"tanh"``, ``"relu"``, ``"leaky_relu"`` or ``"selu"``.
    :param param: the negative slope $a$ of ``"leaky_relu"`` (0.01 if None); unused otherwise.
    """
    check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    if nonlinearity in LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check_real(param, "param (the negative slope)")
        return math.sqrt(2.0 / (1 + slope**2))
    return 3.0 / 4  # selu


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` in place with draws from $\mathcal U(a, b)$ and return it: ``(*) -> (*)``.

    :param tensor: the tensor to fill, any shape.
    :param a: the lower bound.
    :param b: the upper bound, ``b >= a``.
    :param generator: the random generator to draw from (torch's global one if None).
    """
    a, b = check_real(a, "a"), check_real(b, "b")
    if a > b:
        raise ValueError(f"a must be <= b, got a={a}, b={b}")
    with torch.no_grad():
        return _check(tensor).uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` in place from $\mathcal N(\text{mean}, \text{std}^2)$, return it: ``(*) -> (*)``.

    :param tensor: the tensor to fill, any shape.
    :param mean: the normal's mean.
    :param std: its standard deviation, >= 0.
    :param generator: the random generator to draw from (torch's global one if None).
    """
    mean, std = check_real(mean, "mean"), check_real(std, "std", min_value=0.0)
    with torch.no_grad():
        return _check(tensor).normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` in place with the constant ``val`` and return it: ``(*) -> (*)``.

    :param tensor: the tensor to fill, any shape.
    :param val: the value.
    """
    with torch.no_grad():
        return _check(tensor).fill_(check_real(val, "val"))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` in place with zeros and return it: ``(*) -> (*)``.

    :param tensor: the tensor to fill, any shape.
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` in place with ones and return it: ``(*) -> (*)``.

    :param tensor: the tensor to fill, any shape.
    """
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> Tensor:
    r"""Glorot & Bengio (2010): $\mathcal U(-b, b)$ with
    $b = \text{gain}\sqrt{6/(\text{fan\_in} + \text{fan\_out})}$, i.e. variance
    $\text{gain}^2 \cdot 2/(\text{fan\_in} + \text{fan\_out})$.

    In place, returns ``tensor``: ``(out, in, *kernel) -> (out, in, *kernel)``.

    :param tensor: the weight to fill, at least 2 dimensions.
    :param gain: the scale $\text{gain}$ (see :func:`calculate_gain`).
    :param generator: the random generator to draw from (torch's global one if None).
    """
    fan_in, fan_out = compute_fans(tensor)
    std = check_real(gain, "gain", min_value=0.0) * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # a uniform on [-b, b] has variance b^2 / 3
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> Tensor:
    r"""Glorot & Bengio (2010): $\mathcal N(0, \sigma^2)$ with
    $\sigma = \text{gain}\sqrt{2/(\text{fan\_in} + \text{fan\_out})}$.

    In place, returns ``tensor``: ``(out, in, *kernel) -> (out, in, *kernel)``.

    :param tensor: the weight to fill, at least 2 dimensions.
    :param gain: the scale $\text{gain}$ (see :func:`calculate_gain`).
    :param generator: the random generator to draw from (torch's global one if None).
    """
    fan_in, fan_out = compute_fans(tensor)
    std = check_real(gain, "gain", min_value=0.0) * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = compute_fans(tensor)
    fan = fan_in if check_choice(mode, "mode", ("fan_in", "fan_out")) == "fan_in" else fan_out
    # a zero fan means an empty tensor (e.g. Linear(0, 3)): nothing to draw, as in torch
    return calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan > 0 else 0.0


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> Tensor:
    r"""He et al. (2015): $\mathcal U(-b, b)$ with $b = \text{gain}\sqrt{3/\text{fan}}$;
    for ReLU ($\text{gain} = \sqrt 2$) that is $b = \sqrt{6/\text{fan\_in}}$. ``a`` is the
    negative slope of a Leaky ReLU (0: ReLU).

    In place, returns ``tensor``: ``(out, in, *kernel) -> (out, in, *kernel)``.

    :param tensor: the weight to fill, at least 2 dimensions.
    :param a: the negative slope of the Leaky ReLU that follows (0 for ReLU).
    :param mode: ``"fan_in"`` (keeps the forward pass's scale) or ``"fan_out"`` (the backward's).
    :param nonlinearity: the activation that follows, as in :func:`calculate_gain`.
    :param generator: the random generator to draw from (torch's global one if None).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> Tensor:
    r"""He et al. (2015): $\mathcal N(0, \sigma^2)$ with $\sigma = \text{gain}/\sqrt{\text{fan}}$;
    for ReLU that is $\sigma = \sqrt{2/\text{fan\_in}}$.

    In place, returns ``tensor``: ``(out, in, *kernel) -> (out, in, *kernel)``.

    :param tensor: the weight to fill, at least 2 dimensions.
    :param a: the negative slope of the Leaky ReLU that follows (0 for ReLU).
    :param mode: ``"fan_in"`` (keeps the forward pass's scale) or ``"fan_out"`` (the backward's).
    :param nonlinearity: the activation that follows, as in :func:`calculate_gain`.
    :param generator: the random generator to draw from (torch's global one if None).
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor: Tensor, gain: float = 1,
                generator: torch.Generator | None = None) -> Tensor:
    r"""Saxe, McClelland & Ganguli (2014): a (semi-)orthogonal matrix times $\text{gain}$, all of
    whose singular values equal $\text{gain}$.

    The weight is read as a matrix $W$ of $r = \text{out}$ rows and $c = \text{in} \cdot
    \prod \text{kernel}$ columns. Draw $A$ with i.i.d. $\mathcal N(0, 1)$ entries, of shape
    $(r, c)$ (transposed to $(c, r)$ when $r < c$, so it is tall), and factor $A = QR$ (QR
    decomposition, $Q^\top Q = I$, $R$ upper triangular). Multiplying column $j$ of $Q$ by
    $\operatorname{sign}(R_{jj})$ makes $Q$ uniformly (Haar) distributed, not biased by the
    factorization's sign convention. Then $W = \text{gain} \cdot Q$ (or $\text{gain} \cdot
    Q^\top$ when $r < c$), so $W^\top W = \text{gain}^2 I$ if $r \ge c$ and
    $W W^\top = \text{gain}^2 I$ if $r < c$: $\lVert W v \rVert = \text{gain}\,\lVert v
    \rVert$ for every $v$ (in the row space when $r < c$).

    Taught in the chapter "Weight initialization", section "Orthogonal initialization". The draws
    (``normal_`` with ``generator``, then ``torch.linalg.qr``) are torch's, so with the same seed
    the values equal :func:`torch.nn.init.orthogonal_`'s.

    In place, returns ``tensor``: ``(out, in, *kernel) -> (out, in, *kernel)``.

    :param tensor: the weight to fill, a floating-point tensor with at least 2 dimensions.
    :param gain: the scale $\text{gain}$, every singular value of the result (see
        :func:`calculate_gain`).
    :param generator: the random generator to draw from (torch's global one if None).
    """
    t = check_tensor(tensor, "tensor")
    if t.dim() < 2:
        raise ValueError(f"tensor must have at least 2 dimensions (a matrix to make orthogonal), "
                         f"got shape {tuple(t.shape)}")
    gain = check_real(gain, "gain", min_value=0.0)
    if t.numel() == 0 or t.is_meta:
        return t  # nothing to draw, as in torch
    rows = t.shape[0]
    cols = t.numel() // rows
    a = t.new_empty((rows, cols)).normal_(0, 1, generator=generator)
    if rows < cols:
        a = a.t()  # factor the tall matrix; the result is transposed back below
    q, r = torch.linalg.qr(a)
    q = q * torch.diag(r).sign()  # column j times sign(R_jj): Haar-uniform Q
    if rows < cols:
        q = q.t()
    with torch.no_grad():
        return t.copy_(q.reshape(t.shape)).mul_(gain)
