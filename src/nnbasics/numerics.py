"""Numerically stable formulas, written once and shared by the activations, losses and recurrent cells.

Taught in the chapter "Activation functions" (``book/activations/activations.ipynb``): sigmoid,
tanh and softplus there, log-softmax with softmax. These are plain tensor functions with no
backward of their own: each :class:`torch.autograd.Function` that calls one writes its own
derivative. Safe at $|x| = 1000$ in float32: every exponent is $\\le 0$.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nnbasics._checks import check_dim, check_tensor

__all__ = ["log_softmax", "sigmoid", "softplus", "tanh"]


def sigmoid(x: Tensor) -> Tensor:
    r"""$\sigma(x)$ without overflow: $\sigma(x) = e^{\min(x, 0)} / (1 + e^{-|x|})$, whose two
    exponents are $\le 0$. For $x \ge 0$ it is $1 / (1 + e^{-x})$; for $x < 0$ it is
    $e^{x} / (1 + e^{x})$, the same fraction with its numerator and denominator multiplied by
    $e^{x}$; ``(*) -> (*)``.

    :param x: a floating-point tensor of any shape.
    """
    e = torch.exp(-check_tensor(x, "x").abs())
    return torch.exp(torch.clamp(x, max=0.0)) / (1.0 + e)


def tanh(x: Tensor) -> Tensor:
    r"""$\tanh(x)$ without overflow: with $e = e^{-2|x|} \in (0, 1]$,
    $\tanh|x| = (1 - e) / (1 + e)$, and $\tanh$ is odd: $\tanh x$ takes the sign of $x$. ``expm1``
    computes $e - 1$ to full precision near $x = 0$, where $1 - e$ written directly would lose
    digits; ``(*) -> (*)``.

    :param x: a floating-point tensor of any shape.
    """
    e = torch.exp(-2.0 * check_tensor(x, "x").abs())
    tanh_abs = -torch.expm1(-2.0 * x.abs()) / (1.0 + e)
    return torch.copysign(tanh_abs, x)


def softplus(z: Tensor) -> Tensor:
    r"""$\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})$: no overflow for any $z$; ``(*) -> (*)``.

    :param z: a floating-point tensor of any shape.
    """
    return torch.clamp(check_tensor(z, "z"), min=0.0) + torch.log1p(torch.exp(-z.abs()))


def log_softmax(x: Tensor, dim: int) -> Tensor:
    r"""$x_i - \log\sum_j e^{x_j}$ along ``dim``, via log-sum-exp:
    $\log\sum_j e^{x_j} = m + \log\sum_j e^{x_j - m}$ with $m = \max_j x_j$, so every exponent is
    $\le 0$; ``(*) -> (*)``.

    :param x: a floating-point tensor of any shape.
    :param dim: the dimension of the sum.
    """
    dim = check_dim(dim, check_tensor(x, "x").dim())
    if x.numel() == 0:  # nothing to normalise; amax would refuse an empty dim
        return x.clone()
    shifted = x - x.amax(dim=dim, keepdim=True)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))
