"""Activation functions, written from scratch with a hand-written backward pass.

Taught in the chapter "Activation functions" (``book/activations/activations.ipynb``).

Every activation is a :class:`torch.autograd.Function`: ``forward`` computes the value from
elementary tensor operations (``exp``, ``expm1``, ``log1p``, ``erf``, ``where``...), never by
calling the torch op of the same name, and ``backward`` applies the derivative derived in the
chapter. The functions mirror :mod:`torch.nn.functional` and the module classes mirror
:mod:`torch.nn`, so a reader can swap one for the other.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nnbasics import numerics
from nnbasics._checks import check_choice, check_dim, check_real, check_tensor

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]


def _apply(function: type[torch.autograd.Function], input: Tensor, inplace: bool, *args: object) -> Tensor:
    """``function.apply(input, *args)``; with ``inplace=True`` the result is written into ``input``.

    This keeps torch's meaning of ``inplace`` (``input`` holds the result, autograd follows the
    copy) but not its memory saving: ELU and SiLU save their input for the backward pass, so they
    run on a copy of it, which the write into ``input`` cannot overwrite. (ReLU and Leaky ReLU save
    a mask instead and write into ``input`` directly.)
    """
    if not inplace:
        return function.apply(input, *args)
    return input.copy_(function.apply(input.clone(), *args))


# --- Sigmoid ---------------------------------------------------------------------------------


class SigmoidFunction(torch.autograd.Function):
    r"""$\sigma(x) = \dfrac{1}{1 + e^{-x}}$, with $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        y = numerics.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_out * y * (1.0 - y)


def sigmoid(input: Tensor) -> Tensor:
    r"""Logistic sigmoid, elementwise: $\sigma(x) = 1 / (1 + e^{-x})$; ``(*) -> (*)``.

    :param input: any shape.
    """
    return SigmoidFunction.apply(check_tensor(input))


# --- Tanh --------------------------------------------------------------------------------------


class TanhFunction(torch.autograd.Function):
    r"""$\tanh(x) = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}}$, with $\tanh'(x) = 1 - \tanh^2(x)$."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        y = numerics.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_out * (1.0 - y * y)


def tanh(input: Tensor) -> Tensor:
    r"""Hyperbolic tangent, elementwise: $\tanh(x) = (e^{x} - e^{-x}) / (e^{x} + e^{-x})$; ``(*) -> (*)``.

    :param input: any shape.
    """
    return TanhFunction.apply(check_tensor(input))


# --- ReLU and Leaky ReLU -----------------------------------------------------------------------


class ReLUFunction(torch.autograd.Function):
    r"""$\mathrm{ReLU}(x) = \max(0, x)$; $\mathrm{ReLU}'(x) = 1$ for $x > 0$, else $0$ (also at $x = 0$).

    The derivative is kept as a mask, "not $x \le 0$", as torch's: a NaN input gives a NaN value
    and lets its gradient through, exactly like ``torch.relu``. Unlike torch, which selects, the
    backward multiplies: a non-finite (inf or NaN) upstream gradient at an inactive unit gives NaN
    there, not 0.
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        on = ~(x <= 0)  # ReLU'(x) = 1 where on, 0 elsewhere
        ctx.save_for_backward(on)  # the mask, not x: relu(x, inplace=True) may overwrite x
        return torch.clamp(x, min=0.0)  # max(0, x): relu(-inf) = 0

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> Tensor:
        (on,) = ctx.saved_tensors
        return grad_out * on  # the chain rule: dL/dx = dL/dy * ReLU'(x)


class LeakyReLUFunction(torch.autograd.Function):
    r"""$f(x) = x$ for $x > 0$, else $a x$; $f'(x) = 1$ for $x > 0$, else $a$ (also at $x = 0$)."""

    @staticmethod
    def forward(ctx, x: Tensor, negative_slope: float) -> Tensor:
        on = x > 0
        ctx.save_for_backward(on)  # the mask, not x: leaky_relu(x, inplace=True) may overwrite x
        ctx.negative_slope = negative_slope
        return torch.where(on, x, negative_slope * x)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None]:
        (on,) = ctx.saved_tensors
        return torch.where(on, grad_out, ctx.negative_slope * grad_out), None


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Rectified linear unit, elementwise: $\max(0, x)$; ``(*) -> (*)``.

    :param input: any shape.
    :param inplace: write the result into ``input`` and return it, as in torch.
    """
    y = ReLUFunction.apply(check_tensor(input))
    return input.copy_(y) if inplace else y


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r"""Leaky ReLU, elementwise: $x$ for $x > 0$, else $a x$; ``(*) -> (*)``.

    :param input: any shape.
    :param negative_slope: the slope $a$ for $x \le 0$.
    :param inplace: write the result into ``input`` and return it, as in torch.
    """
    slope = check_real(negative_slope, "negative_slope")
    y = LeakyReLUFunction.apply(check_tensor(input), slope)
    return input.copy_(y) if inplace else y


# --- ELU -----------------------------------------------------------------------------------------


class ELUFunction(torch.autograd.Function):
    r"""$f(x) = x$ for $x > 0$, else $\alpha (e^{x} - 1)$; $f'(x) = 1$, else $\alpha e^{x}$.

    Written with ``x > 0`` as the mask, so a NaN input takes the $e^{x}$ branch and gives a NaN
    value and a NaN gradient, as torch's vectorized CPU kernel does.
    """

    @staticmethod
    def forward(ctx, x: Tensor, alpha: float) -> Tensor:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        # clamp keeps exp from overflowing on the positive side, whose value is not used.
        return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0.0)))

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        slope = ctx.alpha * torch.exp(torch.clamp(x, max=0.0))
        return torch.where(x > 0, grad_out, grad_out * slope), None


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""Exponential linear unit, elementwise: $x$ for $x > 0$, else $\alpha (e^{x} - 1)$; ``(*) -> (*)``.

    :param input: any shape.
    :param alpha: the scale $\alpha \ge 0$ of the negative branch.
    :param inplace: write the result into ``input`` and return it, as in torch.
    """
    a = check_real(alpha, "alpha", min_value=0.0)
    return _apply(ELUFunction, check_tensor(input), inplace, a)


# --- GELU ----------------------------------------------------------------------------------------

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_COEF = 0.044715


class GELUFunction(torch.autograd.Function):
    r"""$\mathrm{GELU}(x) = x\,\Phi(x)$, with $\Phi$ the standard normal CDF.

    Exact: $\Phi(x) = \tfrac12\,(1 + \operatorname{erf}(x/\sqrt2))$ and
    $\mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x)$, $\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}$.

    Tanh approximation: $\tfrac12 x\,(1 + \tanh u)$ with $u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)$,
    whose derivative is $\tfrac12 (1 + \tanh u) + \tfrac12 x\,(1 - \tanh^2 u)\,u'$.
    """

    @staticmethod
    def forward(ctx, x: Tensor, approximate: str) -> Tensor:
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            t = numerics.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x**3))
            return 0.5 * x * (1.0 + t)
        return 0.5 * x * (1.0 + torch.erf(x * _INV_SQRT_2))

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = numerics.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x**3))
            du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_COEF * x * x)
            return grad_out * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du), None
        cdf = 0.5 * (1.0 + torch.erf(x * _INV_SQRT_2))
        pdf = _INV_SQRT_2PI * torch.exp(-0.5 * x * x)
        return grad_out * (cdf + x * pdf), None


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    r"""Gaussian error linear unit, elementwise: $x\,\Phi(x)$, $\Phi$ the standard normal CDF; ``(*) -> (*)``.

    :param input: any shape.
    :param approximate: ``"none"`` (exact, with erf) or ``"tanh"`` (the tanh approximation).
    """
    mode = check_choice(approximate, "approximate", ("none", "tanh"))
    return GELUFunction.apply(check_tensor(input), mode)


# --- SiLU (swish) --------------------------------------------------------------------------------


class SiLUFunction(torch.autograd.Function):
    r"""$\mathrm{SiLU}(x) = x\,\sigma(x)$, with derivative $\sigma(x)\,(1 + x\,(1 - \sigma(x)))$."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return x * numerics.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        s = numerics.sigmoid(x)  # recomputed from x, so a second backward sees through it too
        return grad_out * s * (1.0 + x * (1.0 - s))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Sigmoid linear unit (swish), elementwise: $x\,\sigma(x)$; ``(*) -> (*)``.

    :param input: any shape.
    :param inplace: write the result into ``input`` and return it, as in torch.
    """
    return _apply(SiLUFunction, check_tensor(input), inplace)


# --- Softplus ------------------------------------------------------------------------------------


class SoftplusFunction(torch.autograd.Function):
    r"""$\mathrm{softplus}(x) = \tfrac1\beta \log(1 + e^{\beta x})$, and $x$ where $\beta x >$ threshold.

    The derivative is $\sigma(\beta x)$, and $1$ in the linear region, as in torch.
    """

    @staticmethod
    def forward(ctx, x: Tensor, beta: float, threshold: float) -> Tensor:
        z = beta * x
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        return torch.where(z > threshold, x, numerics.softplus(z) / beta)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None, None]:
        (x,) = ctx.saved_tensors
        z = ctx.beta * x
        return torch.where(z > ctx.threshold, grad_out, grad_out * numerics.sigmoid(z)), None, None


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r"""Smooth ReLU, elementwise: $\tfrac1\beta \log(1 + e^{\beta x})$ ; ``(*) -> (*)``.

    :param input: any shape.
    :param beta: the sharpness $\beta \ne 0$.
    :param threshold: where $\beta x$ exceeds it, the output is $x$ itself (the linear region).
    """
    b = check_real(beta, "beta")
    if b == 0.0:
        raise ValueError("beta must be non-zero, got 0.0")
    t = check_real(threshold, "threshold")
    return SoftplusFunction.apply(check_tensor(input), b, t)


# --- Softmax and log-softmax ---------------------------------------------------------------------


class SoftmaxFunction(torch.autograd.Function):
    r"""$\mathrm{softmax}(x)_i = \dfrac{e^{x_i - m}}{\sum_j e^{x_j - m}}$ with $m = \max_j x_j$.

    Subtracting $m$ changes nothing mathematically and keeps every exponent $\le 0$.
    Backward: $\partial L/\partial x = y \odot (g - \langle g, y\rangle)$, the sum taken over ``dim``.
    """

    @staticmethod
    def forward(ctx, x: Tensor, dim: int) -> Tensor:
        y = torch.exp(numerics.log_softmax(x, dim))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        inner = (grad_out * y).sum(dim=ctx.dim, keepdim=True)
        return y * (grad_out - inner), None


class LogSoftmaxFunction(torch.autograd.Function):
    r"""$\log\mathrm{softmax}(x)_i = x_i - m - \log\sum_j e^{x_j - m}$ (the log-sum-exp trick).

    Backward: $\partial L/\partial x = g - \mathrm{softmax}(x) \sum_j g_j$, the sum over ``dim``.
    """

    @staticmethod
    def forward(ctx, x: Tensor, dim: int) -> Tensor:
        y = numerics.log_softmax(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        return grad_out - torch.exp(y) * grad_out.sum(dim=ctx.dim, keepdim=True), None


def _softmax_args(input: object, dim: object, dtype: torch.dtype | None) -> tuple[Tensor, int]:
    x = check_tensor(input)
    if dim is None:
        # torch guesses a dim with a deprecation warning; the course asks for it explicitly.
        raise TypeError("dim must be given: the dimension along which the values sum to 1")
    if dtype is not None:
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
        x = x.to(dtype)
    return x, check_dim(dim, x.dim())


def softmax(input: Tensor, dim: int | None = None, dtype: torch.dtype | None = None) -> Tensor:
    r"""Softmax along ``dim``: $\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}$; ``(*) -> (*)``.

    :param input: any shape.
    :param dim: the dimension along which the outputs sum to 1 (required).
    :param dtype: if given, ``input`` is cast to this floating-point dtype first.
    """
    x, d = _softmax_args(input, dim, dtype)
    return SoftmaxFunction.apply(x, d)


def log_softmax(input: Tensor, dim: int | None = None, dtype: torch.dtype | None = None) -> Tensor:
    r"""Log-softmax along ``dim``: $x_i - \log\sum_j e^{x_j}$, computed with log-sum-exp; ``(*) -> (*)``.

    :param input: any shape.
    :param dim: the dimension of the sum (required).
    :param dtype: if given, ``input`` is cast to this floating-point dtype first.
    """
    x, d = _softmax_args(input, dim, dtype)
    return LogSoftmaxFunction.apply(x, d)


# --- Module classes, like torch.nn ------------------------------------------------------------
# Each holds its arguments and calls its function; ``inplace`` and ``dim`` are shared by several.


class Sigmoid(nn.Module):
    """Module form of :func:`sigmoid`, like :class:`torch.nn.Sigmoid` (no arguments); ``(*) -> (*)``."""

    def forward(self, input: Tensor) -> Tensor:
        return sigmoid(input)


class Tanh(nn.Module):
    """Module form of :func:`tanh`, like :class:`torch.nn.Tanh` (no arguments); ``(*) -> (*)``."""

    def forward(self, input: Tensor) -> Tensor:
        return tanh(input)


class _Inplace(nn.Module):
    """An activation module with torch's ``inplace`` flag (write the result into the input)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_Inplace):
    """Module form of :func:`relu`, like :class:`torch.nn.ReLU`; ``(*) -> (*)``.

    :param inplace: write the result into the input, as in torch.
    """

    def forward(self, input: Tensor) -> Tensor:
        return relu(input, self.inplace)


class SiLU(_Inplace):
    """Module form of :func:`silu`, like :class:`torch.nn.SiLU`; ``(*) -> (*)``.

    :param inplace: write the result into the input, as in torch.
    """

    def forward(self, input: Tensor) -> Tensor:
        return silu(input, self.inplace)


class LeakyReLU(_Inplace):
    r"""Module form of :func:`leaky_relu`, like :class:`torch.nn.LeakyReLU`; ``(*) -> (*)``.

    :param negative_slope: the slope for inputs $\le 0$.
    :param inplace: write the result into the input, as in torch.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = check_real(negative_slope, "negative_slope")

    def forward(self, input: Tensor) -> Tensor:
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{', inplace=True' if self.inplace else ''}"


class ELU(_Inplace):
    r"""Module form of :func:`elu`, like :class:`torch.nn.ELU`; ``(*) -> (*)``.

    :param alpha: the scale $\alpha \ge 0$ of the negative branch.
    :param inplace: write the result into the input, as in torch.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = check_real(alpha, "alpha", min_value=0.0)

    def forward(self, input: Tensor) -> Tensor:
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{', inplace=True' if self.inplace else ''}"


class GELU(nn.Module):
    """Module form of :func:`gelu`, like :class:`torch.nn.GELU`; ``(*) -> (*)``.

    :param approximate: ``"none"`` (exact) or ``"tanh"``.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = check_choice(approximate, "approximate", ("none", "tanh"))

    def forward(self, input: Tensor) -> Tensor:
        return gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(nn.Module):
    r"""Module form of :func:`softplus`, like :class:`torch.nn.Softplus`; ``(*) -> (*)``.

    :param beta: the sharpness $\beta \ne 0$.
    :param threshold: above it, $\beta x$ is returned as $x$.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        softplus(torch.zeros(1), beta, threshold)  # validate the arguments now, not at call time
        self.beta = float(beta)
        self.threshold = float(threshold)

    def forward(self, input: Tensor) -> Tensor:
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _AlongDim(nn.Module):
    """A module normalizing along ``dim`` (softmax, log-softmax)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Module form of :func:`softmax`, like :class:`torch.nn.Softmax`; ``(*) -> (*)``.

    :param dim: the dimension along which the outputs sum to 1.
    """

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)


class LogSoftmax(_AlongDim):
    """Module form of :func:`log_softmax`, like :class:`torch.nn.LogSoftmax`; ``(*) -> (*)``.

    :param dim: the dimension of the sum.
    """

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)
