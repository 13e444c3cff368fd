"""Weight initialization schemes, written from their formulas.

Taught in the chapter "Weight initialization". Each function fills a tensor in place, with the
name and signature of its :mod:`torch.nn.init` twin. The schemes differ only in the bound or
standard deviation they compute from the tensor's fans; the random draw itself is the tensor's
own ``uniform_``/``normal_``, so with the same ``generator`` seed the values equal torch's.

The last section measures what the weights do to a gradient: the Jacobian of a stack of layers
as the product of the layers' $D_l W_l$ (:func:`jacobian_products`) and its singular values
through depth (:func:`jacobian_spectra`, the section "Through depth: the Jacobian and its
singular values"); :func:`nnbasics.recurrent.state_jacobians` takes the same products through time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import Tensor

from nnbasics._checks import check_choice, check_int, check_real, check_tensor
from nnbasics.numerics import sigmoid, tanh

__all__ = [
    "calculate_gain",
    "compute_fans",
    "constant_",
    "jacobian_products",
    "jacobian_spectra",
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


# --- Through depth: the Jacobian of a stack of layers and its singular values ---------------------


def _matrices(value: object, name: str) -> list[Tensor]:
    """One matrix, a sequence of matrices or a 3-D tensor of them, as a non-empty list; each
    $W_l$ with as many columns as $W_{l-1}$ has rows."""
    items = list(value.unbind(0)) if isinstance(value, Tensor) and value.dim() == 3 else value
    items = [items] if isinstance(items, Tensor) else items
    if not isinstance(items, Sequence) or isinstance(items, str) or len(items) == 0:
        raise TypeError(f"{name} must be a matrix or a non-empty sequence of matrices, "
                        f"got {type(value).__name__}")
    for i, item in enumerate(items):
        if check_tensor(item, f"{name}[{i}]").dim() != 2:
            raise ValueError(f"{name}[{i}] must be a matrix (2-D), got shape {tuple(item.shape)}")
        if i > 0 and item.shape[1] != items[i - 1].shape[0]:
            raise ValueError(f"{name}[{i}] must have {items[i - 1].shape[0]} columns (the rows of "
                             f"{name}[{i - 1}]), got shape {tuple(item.shape)}")
    return list(items)


def _chain(weights: object, derivatives: object) -> list[tuple[Tensor, Tensor]]:
    """The pairs $(W_l, f'(z_l))$, checked: one per layer, each $f'(z_l)$ a vector of $W_l$'s rows;
    one square matrix serves every layer."""
    if isinstance(derivatives, Tensor) and derivatives.dim() == 2:
        derivatives = list(derivatives.unbind(0))
    if not isinstance(derivatives, Sequence) or isinstance(derivatives, str) or len(derivatives) == 0:
        raise TypeError("derivatives must be a tensor (L, n) or a non-empty sequence of vectors f'(z_l), "
                        f"got {type(derivatives).__name__}")
    ws = _matrices(weights, "weights")
    if len(ws) == 1 and len(derivatives) > 1:  # one matrix at every layer (a recurrent W_hh)
        if ws[0].shape[0] != ws[0].shape[1]:
            raise ValueError(f"weights: one matrix used at every layer must be square, got shape "
                             f"{tuple(ws[0].shape)}")
        ws = ws * len(derivatives)
    if len(ws) != len(derivatives):
        raise ValueError(f"weights and derivatives must have one entry per layer, got {len(ws)} and "
                         f"{len(derivatives)}")
    for i, (w, d) in enumerate(zip(ws, derivatives, strict=True)):
        if check_tensor(d, f"derivatives[{i}]").shape != w.shape[:1] or d.dtype != w.dtype:
            raise ValueError(f"derivatives[{i}] must be a vector of the {w.shape[0]} rows of weights[{i}], "
                             f"{w.dtype}, got shape {tuple(d.shape)}, {d.dtype}")
    return list(zip(ws, derivatives, strict=True))


def jacobian_products(weights: Tensor | Sequence[Tensor], derivatives: Tensor | Sequence[Tensor],
                      from_output: bool = False) -> list[Tensor]:
    r"""The running products of the Jacobians $D_l W_l$ of a chain of layers $h_l = f(z_l)$,
    $z_l = W_l h_{l-1} + b_l$ (column vectors), whose one-layer Jacobian is
    $\partial h_l / \partial h_{l-1} = D_l W_l$, $D_l = \operatorname{diag}\bigl(f'(z_l)\bigr)$.

    From the input (the default): $P_l = \partial h_l / \partial h_0 = D_l W_l \cdots D_1 W_1$ for
    $l = 1, \dots, L$, each new factor on the left, $P_l = D_l (W_l P_{l-1})$. From the output:
    $Q_k = \partial h_L / \partial h_{L-k} = D_L W_L \cdots D_{L-k+1} W_{L-k+1}$ for
    $k = 1, \dots, L$, each new factor on the right, $Q_k = Q_{k-1} (D_{L-k+1} W_{L-k+1})$, in the
    order backpropagation meets them. Multiplying by $D_l$ on the left scales row $i$ by
    $f'(z_{l,i})$: a broadcast, not a matrix product.

    Shapes: $W_l$ ``(n_l, n_{l-1})`` and $f'(z_l)$ ``(n_l,)`` for each $l$ ``-> (n_l, n_0)`` for
    $P_l$, or ``(n_L, n_{L-k})`` for $Q_k$: a list of $L$ matrices, $P_l$ (or $Q_k$) at index
    $l - 1$ (or $k - 1$).

    :param weights: $W_1, \dots, W_L$, a sequence of $L$ matrices ``(n_l, n_{l-1})`` (or a tensor
        ``(L, n, n)``); or one matrix ``(n, n)`` used at every layer (a recurrent network's
        $W_{hh}$, the same at every step).
    :param derivatives: $f'(z_1), \dots, f'(z_L)$, the diagonals of the $D_l$: a sequence of $L$
        vectors ``(n_l,)``, or a tensor ``(L, n)``.
    :param from_output: the $Q_k$, from the last layer down, instead of the $P_l$.
    """
    pairs = _chain(weights, derivatives)
    w_first, w_last = pairs[0][0], pairs[-1][0]
    J = torch.eye(w_last.shape[0] if from_output else w_first.shape[1], dtype=w_first.dtype,
                  device=w_first.device)
    products = []
    for w, d in reversed(pairs) if from_output else pairs:
        J = J @ (d[:, None] * w) if from_output else d[:, None] * (w @ J)
        products.append(J)
    return products


# Each activation f, and f'(z) from h = f(z), as its backward writes it (nnbasics.activations).
_ACTIVATIONS = {
    "linear": (lambda z: z, torch.ones_like),
    "tanh": (tanh, lambda h: 1.0 - h * h),
    "sigmoid": (sigmoid, lambda h: h * (1.0 - h)),
    "relu": (lambda z: z.clamp(min=0), lambda h: (h > 0).to(h.dtype)),
}


def jacobian_spectra(weights: Tensor | Sequence[Tensor], nonlinearity: str, x: Tensor,
                     depths: Iterable[int] | None = None) -> tuple[dict[int, Tensor], Tensor]:
    r"""The singular values of the Jacobian $J_l = \partial h_l / \partial h_0 = D_l W_l \cdots D_1 W_1$
    of a plain stack without biases, $h_l = f(W_l h_{l-1})$ from $h_0 = x$, at the input ``x``, for
    each depth $l$ of ``depths``, largest first; and $J = J_L$ itself at the full depth $L$.

    The forward pass computes each $h_l$ and $f'(z_l)$ from it, as the activation's backward does
    ($1 - h_l^2$ for tanh, $h_l (1 - h_l)$ for the sigmoid, $[h_l > 0]$ for ReLU);
    :func:`jacobian_products` multiplies the $D_l W_l$ from the input up, and
    ``torch.linalg.svdvals`` gives each product's singular values.

    Shapes: $W_l$ ``(n_l, n_{l-1})`` each, ``(n_0,) -> {depth: (min(n_depth, n_0),)}, (n_L, n_0)``.

    :param weights: $W_1, \dots, W_L$, a sequence of matrices (or a tensor ``(L, n, n)``).
    :param nonlinearity: $f$: ``"linear"``, ``"tanh"``, ``"sigmoid"`` or ``"relu"``.
    :param x: the input $h_0$, a vector ``(n_0,)`` of the weights' dtype (float64 to measure singular
        values far below the largest).
    :param depths: the depths $l$ whose singular values to return, each in $1, \dots, L$; every
        depth if None.
    """
    f, f_prime = _ACTIVATIONS[check_choice(nonlinearity, "nonlinearity", tuple(_ACTIVATIONS))]
    ws = _matrices(weights, "weights")
    if check_tensor(x, "x").shape != ws[0].shape[1:] or x.dtype != ws[0].dtype:
        raise ValueError(f"x must be a vector of the {ws[0].shape[1]} columns of weights[0], {ws[0].dtype}, "
                         f"got shape {tuple(x.shape)}, {x.dtype}")
    depths = range(1, len(ws) + 1) if depths is None else list(depths)
    for depth in depths:
        if check_int(depth, "depths") > len(ws):
            raise ValueError(f"depths must be between 1 and the number of layers, {len(ws)}, got {depth}")
    h, derivatives = x, []
    for w in ws:
        h = f(w @ h)
        derivatives.append(f_prime(h))
    products = jacobian_products(ws, derivatives)
    return {depth: torch.linalg.svdvals(products[depth - 1]) for depth in depths}, products[-1]
