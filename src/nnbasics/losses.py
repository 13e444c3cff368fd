"""Loss functions: each a forward that computes the loss, beside a backward that computes its derivative.

Taught in the chapter "Loss functions" (``book/losses/losses.ipynb``). Each family is a
:class:`torch.autograd.Function` in the chapter's symbols: ``forward`` returns one loss $\\ell$ per
element (per sample for cross-entropy) and computes nothing else, so evaluation never pays for a
derivative; ``backward`` multiplies the upstream gradient by $\\partial\\ell/\\partial x$, written with
differentiable tensor ops on the saved inputs, so a second derivative (double backward) is right
too. The functions named as in :mod:`torch.nn.functional` check their arguments, apply a Function,
and end with :func:`_reduce`, the one reduction step; the module classes mirror :mod:`torch.nn`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nnbasics import numerics
from nnbasics._checks import check_choice, check_real, check_tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mape",
    "mse_loss",
    "msle",
    "nll_loss",
    "smooth_l1_loss",
]

REDUCTIONS = ("none", "mean", "sum")
EPSILON = 1e-7  # the clipping constant of the common (Keras) definitions of MSLE and MAPE


def _reduce(loss: Tensor, reduction: str, count: Tensor | float | None = None) -> Tensor:
    r"""The step every loss ends with: ``"none"`` keeps the losses $\ell$, ``"sum"`` gives $\sum\ell$,
    ``"mean"`` $\sum\ell / D$, $D$ the number of losses or ``count`` (a sum of weights). Shapes:
    ``(*) -> ()``, or ``(*)`` with ``"none"``. Plain tensor ops: autograd applies the $1/D$ itself."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    count = loss.numel() if count is None else count
    if count == 0:  # nothing to average: the value is NaN as in torch, the gradient 0 (not NaN)
        return total * 0.0 + torch.nan
    return total / count


def _reduction(reduction: object) -> str:
    return check_choice(reduction, "reduction", REDUCTIONS)


def _same_shape(input: object, target: object) -> tuple[Tensor, Tensor]:
    x = check_tensor(input, "input")
    y = check_tensor(target, "target")
    if x.shape != y.shape:
        raise ValueError(f"input and target must have the same shape, got {tuple(x.shape)} "
                         f"and {tuple(y.shape)}")
    return x, y


# --- Regression: losses of the error d = x - y, so that dl/dy = -dl/dx ----------------------------


class MSEFunction(torch.autograd.Function):
    r"""Squared error $\ell = d^2$ of $d = x - y$: $\partial\ell/\partial x = 2d = -\partial\ell/\partial y$.

    Shapes: ``x, y: (*) -> (*)``, one loss per element.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return (x - y) ** 2

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        dx = grad * 2 * (x - y)
        return dx, -dx


class L1Function(torch.autograd.Function):
    r"""Absolute error $\ell = |d|$: $\partial\ell/\partial x = \operatorname{sign}(d)
    = -\partial\ell/\partial y$.

    Shapes: ``x, y: (*) -> (*)``, one loss per element.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return (x - y).abs()

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        dx = grad * torch.sign(x - y)
        return dx, -dx


class SmoothL1Function(torch.autograd.Function):
    r"""Smooth L1: $\ell = d^2 / 2\beta$ where $|d| < \beta$, else $|d| - \beta/2$;
    $\partial\ell/\partial x = d/\beta$ inside, $\operatorname{sign}(d)$ outside.

    Shapes: ``x, y: (*) -> (*)``, one loss per element; ``beta`` $> 0$ a float.
    """

    @staticmethod
    def forward(ctx, x, y, beta):
        ctx.save_for_backward(x, y)
        ctx.beta = beta
        d = x - y
        return torch.where(d.abs() < beta, 0.5 * d * d / beta, d.abs() - 0.5 * beta)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        d = x - y
        dx = grad * torch.where(d.abs() < ctx.beta, d / ctx.beta, torch.sign(d))
        return dx, -dx, None


class HuberFunction(torch.autograd.Function):
    r"""Huber: $\ell = d^2/2$ where $|d| \le \delta$, else $\delta(|d| - \delta/2)$;
    $\partial\ell/\partial x = d$ inside, $\delta\operatorname{sign}(d)$ outside.

    Shapes: ``x, y: (*) -> (*)``, one loss per element; ``delta`` $> 0$ a float.
    """

    @staticmethod
    def forward(ctx, x, y, delta):
        ctx.save_for_backward(x, y)
        ctx.delta = delta
        d = x - y
        return torch.where(d.abs() <= delta, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        d = x - y
        dx = grad * torch.where(d.abs() <= ctx.delta, d, ctx.delta * torch.sign(d))
        return dx, -dx, None


class MSLEFunction(torch.autograd.Function):
    r"""Squared log error $\ell = d^2$, $d = \log(1 + \hat x) - \log(1 + \hat y)$, clipped
    $\hat x = \max(x, \epsilon)$: $\partial\ell/\partial x = 2d / (1 + \hat x)$ where $x > \epsilon$,
    $\partial\ell/\partial y = -2d / (1 + \hat y)$ where $y > \epsilon$ (0 where clipped).

    Shapes: ``x, y: (*) -> (*)``, one loss per element.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        d = torch.log1p(x.clamp(min=EPSILON)) - torch.log1p(y.clamp(min=EPSILON))
        return d * d

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        x_hat, y_hat = x.clamp(min=EPSILON), y.clamp(min=EPSILON)
        d = torch.log1p(x_hat) - torch.log1p(y_hat)
        dx = grad * 2 * d / (1 + x_hat) * (x > EPSILON)
        dy = -grad * 2 * d / (1 + y_hat) * (y > EPSILON)
        return dx, dy


class MAPEFunction(torch.autograd.Function):
    r"""Absolute percentage error $\ell = 100\,|y - x| / s$, $s = \max(|y|, \epsilon)$:
    $\partial\ell/\partial x = 100\operatorname{sign}(x - y) / s$,
    $\partial\ell/\partial y = -\partial\ell/\partial x - (\ell / s)\operatorname{sign}(y)$ where
    $|y| > \epsilon$.

    Shapes: ``x, y: (*) -> (*)``, one loss per element.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return (y - x).abs() * (100.0 / y.abs().clamp(min=EPSILON))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        s = y.abs().clamp(min=EPSILON)
        dx = grad * 100.0 * torch.sign(x - y) / s
        dy = -dx - grad * 100.0 * (y - x).abs() / s**2 * torch.sign(y) * (y.abs() > EPSILON)
        return dx, dy


def _weighted(loss: Tensor, reduction: str, weight: object, mean_over: str = "weights") -> Tensor:
    """Per-element weights $w$ (torch >= 2.6): the losses become $w\\ell$ and ``"mean"`` divides by
    $\\sum w$ (``mean_over="count"``: by the number of elements, as torch's Huber loss)."""
    if weight is None:
        return _reduce(loss, reduction)
    w = check_tensor(weight, "weight")
    if w.shape != loss.shape:
        raise ValueError(f"weight must have the input's shape {tuple(loss.shape)}, got {tuple(w.shape)}")
    return _reduce(w * loss, reduction, w.sum() if mean_over == "weights" else None)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    r"""Mean squared error: :class:`MSEFunction` ($\ell = (x - y)^2$), then :func:`_reduce`.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param weight: per-element weights $w$ (``input``'s shape), or None: the losses become $w\,\ell$.
    """
    x, y = _same_shape(input, target)
    return _weighted(MSEFunction.apply(x, y), _reduction(reduction), weight)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    r"""Mean absolute error: :class:`L1Function` ($\ell = |x - y|$), then :func:`_reduce`.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param weight: per-element weights $w$ (``input``'s shape), or None: the losses become $w\,\ell$.
    """
    x, y = _same_shape(input, target)
    return _weighted(L1Function.apply(x, y), _reduction(reduction), weight)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    r"""Smooth L1: :class:`SmoothL1Function` ($d^2/2\beta$ for $|d| < \beta$, else
    $|d| - \beta/2$), then :func:`_reduce`; $\beta = 0$ is L1.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param beta: the width $\beta \ge 0$ of the quadratic region.
    """
    x, y = _same_shape(input, target)
    r, b = _reduction(reduction), check_real(beta, "beta", min_value=0.0)
    return _reduce(SmoothL1Function.apply(x, y, b) if b > 0 else L1Function.apply(x, y), r)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    r"""Huber: :class:`HuberFunction` ($d^2/2$ for $|d| \le \delta$, else $\delta(|d| - \delta/2)$),
    then :func:`_reduce`. It is $\delta$ times smooth L1 with $\beta = \delta$.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param delta: the width $\delta > 0$ of the quadratic region.
    :param weight: per-element weights $w$ (``input``'s shape), or None; ``"mean"`` then still
        divides by the number of elements, as torch does.
    """
    x, y = _same_shape(input, target)
    r, k = _reduction(reduction), check_real(delta, "delta", min_value=0.0, allow_min=False)
    return _weighted(HuberFunction.apply(x, y, k), r, weight, mean_over="count")


def msle(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean squared logarithmic error: :class:`MSLEFunction`, then :func:`_reduce`.

    $\ell = (\log(1 + \hat x) - \log(1 + \hat y))^2$, with values clipped below at
    $\epsilon = 10^{-7}$ first ($\hat x = \max(x, \epsilon)$), as in the common (Keras) definition,
    so negative values count as 0. No torch twin.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """
    x, y = _same_shape(input, target)
    return _reduce(MSLEFunction.apply(x, y), _reduction(reduction))


def mape(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean absolute percentage error: :class:`MAPEFunction`, then :func:`_reduce`.

    $\ell = 100\,|y - x| / \max(|y|, \epsilon)$, in percent, the denominator clipped at
    $\epsilon = 10^{-7}$ as in the common (Keras) definition. No torch twin.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """
    x, y = _same_shape(input, target)
    return _reduce(MAPEFunction.apply(x, y), _reduction(reduction))


# --- Binary classification ----------------------------------------------------------------------


class BCEFunction(torch.autograd.Function):
    r"""Binary cross-entropy of a probability $x$: $\ell = -[y\log x + (1 - y)\log(1 - x)]$;
    $\partial\ell/\partial x = (x - y) / (x(1 - x))$, $\partial\ell/\partial y = \log(1 - x) - \log x$.

    As in torch, each log is clamped at $-100$ (so $x = 0$ or 1 gives a finite loss) and $x(1 - x)$
    at $10^{-12}$. Shapes: ``x, y: (*) -> (*)``, one loss per element.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        log_x, log_1mx = torch.log(x).clamp(min=-100), torch.log1p(-x).clamp(min=-100)
        return -(y * log_x + (1 - y) * log_1mx)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        log_x, log_1mx = torch.log(x).clamp(min=-100), torch.log1p(-x).clamp(min=-100)
        dx = grad * (x - y) / (x * (1 - x)).clamp(min=1e-12)
        dy = grad * (log_1mx - log_x)
        return dx, dy


class BCEWithLogitsFunction(torch.autograd.Function):
    r"""Binary cross-entropy of a logit $x$ (the sigmoid inside), stable for any $x$.

    With $\log\sigma(x) = -\operatorname{softplus}(-x)$ and
    $\log(1 - \sigma(x)) = -x - \operatorname{softplus}(-x)$:
    $\ell = (1 - y)\,x + c\operatorname{softplus}(-x)$, $c = 1 + (p - 1)\,y$, where ``pos_weight`` $p$
    weighs the positive term. $\partial\ell/\partial x = c\,\sigma(x) - p\,y$ ($\sigma(x) - y$ for
    $p = 1$), $\partial\ell/\partial y = -x + (p - 1)\operatorname{softplus}(-x)$,
    $\partial\ell/\partial p = y\operatorname{softplus}(-x)$.

    Shapes: ``x, y: (*)``, ``p`` broadcastable to them ``-> (*)``, one loss per element.
    """

    @staticmethod
    def forward(ctx, x, y, p):
        ctx.save_for_backward(x, y, p)
        return (1 - y) * x + (1 + (p - 1) * y) * numerics.softplus(-x)

    @staticmethod
    def backward(ctx, grad):
        x, y, p = ctx.saved_tensors
        dx = grad * ((1 + (p - 1) * y) * numerics.sigmoid(x) - p * y)
        dy = grad * (-x + (p - 1) * numerics.softplus(-x))
        dp = grad * y * numerics.softplus(-x) if ctx.needs_input_grad[2] else None
        return dx, dy, dp


class HingeEmbeddingFunction(torch.autograd.Function):
    r"""$\ell = x$ where $y = 1$, $\max(0, m - x)$ where $y = -1$; $\partial\ell/\partial x = 1$
    where $y = 1$, $-1$ where $y = -1$ and $x < m$, else 0. Labels other than $\pm1$ follow torch:
    the first term where $y \ne -1$, the second where $y \ne 1$. No gradient for the labels.

    Shapes: ``x, y: (*) -> (*)``, one loss per element; ``margin`` $m$ a float.
    """

    @staticmethod
    def forward(ctx, x, y, margin):
        ctx.save_for_backward(x, y)
        ctx.margin = margin
        return torch.where(y != -1, x, 0.0) + torch.where(y != 1, (margin - x).clamp(min=0), 0.0)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        dx = grad * ((y != -1).to(x.dtype) - ((y != 1) & (x < ctx.margin)).to(x.dtype))
        return dx, None, None


def _weight_like(weight: Tensor | None, x: Tensor, name: str = "weight") -> Tensor | None:
    if weight is None:
        return None
    w = check_tensor(weight, name)
    try:
        torch.broadcast_shapes(w.shape, x.shape)
    except RuntimeError as err:
        raise ValueError(f"{name} of shape {tuple(w.shape)} does not broadcast to the input's "
                         f"shape {tuple(x.shape)}") from err
    return w


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    r"""BCE of probabilities: :class:`BCEFunction` ($-[y\log x + (1 - y)\log(1 - x)]$), times
    ``weight`` $w$, then :func:`_reduce`.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predicted probabilities $x \in [0, 1]$, any shape.
    :param target: the targets $y \in [0, 1]$, ``input``'s shape.
    :param weight: weights $w$ broadcastable to ``input``'s shape, or None.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """
    x, y = _same_shape(input, target)
    r, w = _reduction(reduction), _weight_like(weight, x)
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError("input must hold probabilities in [0, 1]; for raw scores (logits) use "
                         "binary_cross_entropy_with_logits")
    if y.numel() and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"target must be in [0, 1], got values from {y.min().item():g} to "
                         f"{y.max().item():g}")
    loss = BCEFunction.apply(x, y)
    return _reduce(loss if w is None else w * loss, r)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    r"""BCE of logits, stable for any $x$: :class:`BCEWithLogitsFunction`
    ($(1 - y)\,x + (1 + (p - 1)\,y)\operatorname{softplus}(-x)$), times ``weight`` $w$, then
    :func:`_reduce`.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the logits $x$, any shape.
    :param target: the targets $y \in [0, 1]$, ``input``'s shape.
    :param weight: weights $w$ broadcastable to ``input``'s shape, or None.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param pos_weight: the weight $p$ of the positive term, broadcastable to ``input``'s shape
        (e.g. ``(C,)``, one per class), or None ($p = 1$).
    """
    x, y = _same_shape(input, target)
    r, w = _reduction(reduction), _weight_like(weight, x)
    p = _weight_like(pos_weight, x, "pos_weight")
    loss = BCEWithLogitsFunction.apply(x, y, x.new_ones(()) if p is None else p)
    return _reduce(loss if w is None else w * loss, r)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    r"""Hinge embedding loss: :class:`HingeEmbeddingFunction` ($x$ where $y = 1$,
    $\max(0, m - x)$ where $y = -1$), then :func:`_reduce`.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the scores $x$ (e.g. distances), any shape.
    :param target: the labels $y \in \{1, -1\}$, ``input``'s shape (or broadcastable to it).
    :param margin: the margin $m$.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """
    x = check_tensor(input, "input")
    try:  # torch broadcasts the target against the input
        ok = isinstance(target, Tensor) and torch.broadcast_shapes(target.shape, x.shape) == x.shape
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError("target must be a tensor of 1 and -1 with the input's shape "
                         f"{tuple(x.shape)} (or one that broadcasts to it)")
    r, m = _reduction(reduction), check_real(margin, "margin")
    return _reduce(HingeEmbeddingFunction.apply(x, target.to(x.dtype).expand_as(x), m), r)


# --- Multi-class classification ----------------------------------------------------------------


class CrossEntropyFunction(torch.autograd.Function):
    r"""Softmax cross-entropy of logits $x$ against target weights $a$, one loss per sample $i$:

    $\ell_i = -\sum_c a_{ic} \log p_{ic}$, $p_i = \operatorname{softmax}(x_i)$ (log-sum-exp);
    $\partial\ell_i/\partial x_{ic} = p_{ic}\sum_k a_{ik} - a_{ic}$, which is $p_i - y_i$ for a
    one-hot $a = y_i$; $\partial\ell_i/\partial a_{ic} = -\log p_{ic}$.

    Shapes: ``x, a: (N, C, d_1, ...) -> (N, d_1, ...)``, classes along dimension 1.
    """

    @staticmethod
    def forward(ctx, x, a):
        ctx.save_for_backward(x, a)
        return -(a * numerics.log_softmax(x, dim=1)).sum(dim=1)

    @staticmethod
    def backward(ctx, grad):
        x, a = ctx.saved_tensors
        log_p, grad = numerics.log_softmax(x, dim=1), grad.unsqueeze(1)
        dx = grad * (torch.exp(log_p) * a.sum(dim=1, keepdim=True) - a)
        da = -grad * log_p if ctx.needs_input_grad[1] else None
        return dx, da


class NLLFunction(torch.autograd.Function):
    r"""Negative log-likelihood of log-probabilities $x$: $\ell_i = -\sum_c a_{ic} x_{ic}$, with
    $a_{ic} = w_c$ at the target class and 0 elsewhere; $\partial\ell_i/\partial x_{ic} = -a_{ic}$.

    Shapes: ``x, a: (N, C, d_1, ...) -> (N, d_1, ...)``, classes along dimension 1.
    """

    @staticmethod
    def forward(ctx, x, a):
        ctx.save_for_backward(x, a)
        return -(a * x).sum(dim=1)

    @staticmethod
    def backward(ctx, grad):
        x, a = ctx.saved_tensors
        grad = grad.unsqueeze(1)
        return -grad * a, -grad * x


def _batched(input: object, target: object) -> tuple[Tensor, Tensor, bool]:
    """torch's unbatched call, input ``(C,)`` with target ``()`` or ``(C,)``, as a batch of one."""
    x = check_tensor(input, "input")
    if not isinstance(target, Tensor):
        raise TypeError(f"target must be a torch.Tensor, got {type(target).__name__}")
    if x.dim() == 0:
        raise ValueError("input must have a class dimension: shape [C], [N, C] or [N, C, d1, ...]")
    return (x.unsqueeze(0), target.unsqueeze(0), True) if x.dim() == 1 else (x, target, False)


def _class_weight(weight: Tensor | None, x: Tensor) -> Tensor:
    """The class weights $w_c$ shaped ``(1, C, 1, ...)`` to broadcast against ``x``; ones if None."""
    classes = x.shape[1]
    if weight is None:
        weight = torch.ones(classes, dtype=x.dtype, device=x.device)
    w = check_tensor(weight, "weight")
    if w.shape != (classes,):
        raise ValueError(f"weight must have one value per class, shape ({classes},), got {tuple(w.shape)}")
    return w.to(x.dtype).reshape(1, classes, *[1] * (x.dim() - 2))


def _one_hot(x: Tensor, target: Tensor, ignore_index: int) -> Tensor:
    """Class indices ``(N, d_1, ...)``, checked, as one-hot rows ``(N, C, d_1, ...)``; 0 at ignore_index."""
    if target.is_floating_point():
        raise TypeError(f"target of dtype {target.dtype} and shape {tuple(target.shape)}: class indices "
                        f"must be integers (torch.long); probability targets must have the input's "
                        f"shape {tuple(x.shape)}")
    expected = (x.shape[0], *x.shape[2:])
    if target.shape != expected:
        raise ValueError(f"target must have shape {expected} (the input {tuple(x.shape)} without its "
                         f"class dimension 1), got {tuple(target.shape)}")
    kept = target != ignore_index
    if (kept & ((target < 0) | (target >= x.shape[1]))).any():
        valid = target[kept]
        raise ValueError(f"target class indices must be in [0, {x.shape[1] - 1}] (or ignore_index="
                         f"{ignore_index}), got values from {valid.min().item()} to {valid.max().item()}")
    one_hot = torch.zeros_like(x).scatter_(1, (target * kept).long().unsqueeze(1), 1.0)
    return one_hot * kept.unsqueeze(1)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    r"""Cross-entropy of logits with class indices or probabilities: :class:`CrossEntropyFunction`
    with target weights $a$, then :func:`_reduce`.

    As torch: $a_i = w \odot ((1 - \varepsilon)\,y_i + \varepsilon / C)$ with $y_i$ one-hot (0 at
    ``ignore_index``; ``mean`` divides by $\sum_i w_{y_i}$) or probabilities (``mean`` divides by $N$).

    Shapes: ``(N, C), (N,) -> ()``, or ``(N,)`` with ``reduction="none"``; more generally
    ``(N, C, d_1, ...)`` with targets ``(N, d_1, ...)``, and unbatched ``(C,)`` with a ``()`` target.

    :param input: the logits $x$, ``(N, C)``, ``(N, C, d_1, ...)`` or ``(C,)``.
    :param target: class indices $y_i \in [0, C)$ (integers, ``input``'s shape without dimension
        1), or probabilities $t$ of ``input``'s shape.
    :param weight: a weight $w_c$ per class, ``(C,)``, or None.
    :param ignore_index: a class index whose samples count neither in the loss nor in the mean.
    :param reduction: ``"mean"`` (weighted average over the samples), ``"sum"``, or ``"none"``
        (one loss per sample).
    :param label_smoothing: $\varepsilon \in [0, 1]$, the probability spread over all classes.
    """
    x, t, unbatched = _batched(input, target)
    r = _reduction(reduction)
    eps = check_real(label_smoothing, "label_smoothing", min_value=0.0, max_value=1.0)
    w, classes = _class_weight(weight, x), x.shape[1]
    if t.is_floating_point() and t.shape == x.shape:  # probabilities t: "mean" is over the N samples
        a, count = w * ((1 - eps) * t + eps / classes), None
    else:  # class indices: one-hot rows y (zero at ignore_index); "mean" is over the sum of w_{y_i}
        y = _one_hot(x, t, ignore_index)
        a, count = w * ((1 - eps) * y + eps / classes * y.sum(1, keepdim=True)), (w * y).sum()
    loss = CrossEntropyFunction.apply(x, a)
    return _reduce(loss.squeeze(0) if unbatched else loss, r, count)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    r"""Negative log-likelihood of log-probabilities: :class:`NLLFunction` ($-w_{y_i}\, x_{i, y_i}$),
    then :func:`_reduce`, whose ``mean`` divides by $\sum_i w_{y_i}$ over the kept samples.
    ``log_softmax`` then ``nll_loss`` equals ``cross_entropy``.

    Shapes: ``(N, C), (N,) -> ()``, or ``(N,)`` with ``reduction="none"`` (also ``(N, C, d_1, ...)``
    with targets ``(N, d_1, ...)``, and ``(C,)`` with a ``()`` target).

    :param input: log-probabilities $x$, ``(N, C)``, ``(N, C, d_1, ...)`` or ``(C,)``.
    :param target: class indices $y_i \in [0, C)$, integers, ``input``'s shape without dimension 1.
    :param weight: a weight $w_c$ per class, ``(C,)``, or None.
    :param ignore_index: a class index whose samples count neither in the loss nor in the mean.
    :param reduction: ``"mean"`` (weighted average over the samples), ``"sum"``, or ``"none"``
        (one loss per sample).
    """
    x, t, unbatched = _batched(input, target)
    r = _reduction(reduction)
    a = _class_weight(weight, x) * _one_hot(x, t, ignore_index)
    loss = NLLFunction.apply(x, a)
    return _reduce(loss.squeeze(0) if unbatched else loss, r, a.sum())


class KLDivFunction(torch.autograd.Function):
    r"""KL divergence terms $\ell = p\,(\log p - x)$ of log-probabilities $x = \log q$ against a
    target $t$: $t = p$, or $t = \log p$ with ``log_target``. $\partial\ell/\partial x = -p$;
    $\partial\ell/\partial p = \log p + 1 - x$, or $\partial\ell/\partial t = p\,(t - x + 1)$.
    A $p = 0$ term is 0, as torch's ``xlogy``; a $p < 0$ gives NaN.

    Shapes: ``x, t: (*) -> (*)``, one term per element; ``log_target`` a bool.
    """

    @staticmethod
    def forward(ctx, x, t, log_target):
        ctx.save_for_backward(x, t)
        ctx.log_target = log_target
        return torch.exp(t) * (t - x) if log_target else torch.xlogy(t, t) - t * x

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        if ctx.log_target:
            p = torch.exp(t)
            return -grad * p, grad * p * (t - x + 1), None
        return -grad * t, grad * torch.where(t > 0, torch.log(t) + 1 - x, torch.nan), None


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    r"""KL divergence $\sum p\,(\log p - x)$: :class:`KLDivFunction`, then :func:`_reduce`.

    ``reduction="batchmean"`` divides the sum by the batch size, the mathematically correct KL per
    sample; ``"mean"`` divides by the number of elements, as torch does.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the model's log-probabilities $x = \log q$, any shape.
    :param target: the probabilities $p$ (or $\log p$), ``input``'s shape.
    :param reduction: ``"mean"`` (over all elements), ``"batchmean"`` (over dimension 0),
        ``"sum"`` or ``"none"``.
    :param log_target: ``target`` holds $\log p$ instead of $p$.
    """
    x, t = _same_shape(input, target)
    r = check_choice(reduction, "reduction", ("none", "batchmean", "mean", "sum"))
    loss = KLDivFunction.apply(x, t, bool(log_target))
    if r == "batchmean":
        return _reduce(loss, "sum") / (max(x.shape[0], 1) if x.dim() else 1)
    return _reduce(loss, r)


# --- Module classes, like torch.nn ------------------------------------------------------------


class _Loss(nn.Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(reduction)


class MSELoss(_Loss):
    """Module form of :func:`mse_loss`, like :class:`torch.nn.MSELoss`.

    Shapes as in :func:`mse_loss`: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Module form of :func:`l1_loss`, like :class:`torch.nn.L1Loss`.

    Shapes as in :func:`l1_loss`: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    r"""Module form of :func:`smooth_l1_loss`, like :class:`torch.nn.SmoothL1Loss`.

    Shapes as in :func:`smooth_l1_loss`: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param beta: the width $\beta \ge 0$ of the quadratic region.
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = check_real(beta, "beta", min_value=0.0)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    r"""Module form of :func:`huber_loss`, like :class:`torch.nn.HuberLoss`.

    Shapes as in :func:`huber_loss`: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param delta: the width $\delta > 0$ of the quadratic region.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_real(delta, "delta", min_value=0.0, allow_min=False)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return huber_loss(input, target, self.reduction, self.delta)


class BCELoss(_Loss):
    """Module form of :func:`binary_cross_entropy`, like :class:`torch.nn.BCELoss`.

    Shapes as in :func:`binary_cross_entropy`: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param weight: weights broadcastable to the input's shape, or None.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Module form of :func:`binary_cross_entropy_with_logits`, like :class:`torch.nn.BCEWithLogitsLoss`.

    Shapes as in :func:`binary_cross_entropy_with_logits`: ``(*), (*) -> ()``, or ``(*)`` with
    ``reduction="none"``.

    :param weight: weights broadcastable to the input's shape, or None.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param pos_weight: the positive term's weight, broadcastable to the input's shape, or None.
    """

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Module form of :func:`cross_entropy`, like :class:`torch.nn.CrossEntropyLoss`.

    Shapes as in :func:`cross_entropy`: ``(N, C), (N,) -> ()``, or ``(N,)`` with ``reduction="none"``.

    :param weight: a weight per class, ``(C,)``, or None.
    :param ignore_index: a class index whose samples count neither in the loss nor in the mean.
    :param reduction: ``"mean"`` (weighted average over the samples), ``"sum"``, or ``"none"``
        (one loss per sample).
    :param label_smoothing: the probability in [0, 1] spread over all classes.
    """

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = check_real(label_smoothing, "label_smoothing", min_value=0.0, max_value=1.0)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)


class NLLLoss(_Loss):
    """Module form of :func:`nll_loss`, like :class:`torch.nn.NLLLoss`.

    Shapes as in :func:`nll_loss`: ``(N, C), (N,) -> ()``, or ``(N,)`` with ``reduction="none"``.

    :param weight: a weight per class, ``(C,)``, or None.
    :param ignore_index: a class index whose samples count neither in the loss nor in the mean.
    :param reduction: ``"mean"`` (weighted average over the samples), ``"sum"``, or ``"none"``
        (one loss per sample).
    """

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class KLDivLoss(nn.Module):
    """Module form of :func:`kl_div`, like :class:`torch.nn.KLDivLoss`.

    Shapes as in :func:`kl_div`: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param reduction: ``"mean"`` (over all elements), ``"batchmean"`` (over dimension 0),
        ``"sum"`` or ``"none"``.
    :param log_target: the target holds log-probabilities.
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        self.reduction = check_choice(reduction, "reduction", ("none", "batchmean", "mean", "sum"))
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return kl_div(input, target, self.reduction, self.log_target)


class HingeEmbeddingLoss(_Loss):
    """Module form of :func:`hinge_embedding_loss`, like :class:`torch.nn.HingeEmbeddingLoss`.

    Shapes as in :func:`hinge_embedding_loss`: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param margin: the margin $m$.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_real(margin, "margin")

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return hinge_embedding_loss(input, target, self.margin, self.reduction)
