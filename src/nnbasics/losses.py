"""Loss functions, each with its derivative written next to it.

Taught in the chapter "Loss functions". Every loss is evaluated by ``LossFunction``, a
:class:`torch.autograd.Function` that receives the elementwise loss *and its derivative*,
computed by hand in the loss's own function below, then reduces them: ``"none"`` keeps one
loss per element, ``"sum"`` adds them, ``"mean"`` divides by a denominator (the number of
elements, or the sum of the class weights for weighted cross-entropy). The functions mirror
:mod:`torch.nn.functional` and the module classes :mod:`torch.nn`, so either can be swapped in.
"""

from __future__ import annotations

from collections.abc import Callable

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


class LossFunction(torch.autograd.Function):
    r"""Reduce an elementwise loss $\ell$ whose derivatives were computed by hand.

    Forward: ``none`` $\to \ell$, ``sum`` $\to \sum \ell$, ``mean`` $\to \sum\ell / D$.
    Backward: $\partial L/\partial x = g \cdot \partial\ell/\partial x$, times $1/D$ for ``mean``
    ($g$ the upstream gradient, broadcast back over the elements for ``sum``/``mean``).
    """

    @staticmethod
    def forward(ctx, input, target, loss, d_input, d_target, reduction, denominator):
        ctx.save_for_backward(d_input, d_target)
        ctx.reduction, ctx.denominator = reduction, denominator
        ctx.needs = (input.requires_grad, target is not None and target.requires_grad)
        if reduction == "none":
            return loss
        total = loss.sum()
        return total / denominator if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad_out):
        d_input, d_target = ctx.saved_tensors
        scale = _mean_scale(grad_out, ctx.denominator) if ctx.reduction == "mean" else grad_out
        if ctx.reduction == "none" and d_input.dim() > scale.dim():  # per-sample losses
            scale = scale.unsqueeze(1)
        grad_input = scale * d_input if ctx.needs[0] else None
        grad_target = scale * d_target if ctx.needs[1] and d_target is not None else None
        return grad_input, grad_target, None, None, None, None, None


def _mean_scale(grad_out: Tensor, denominator: object) -> Tensor:
    """``grad_out / denominator``, and 0 when nothing was averaged (torch: value NaN, gradient 0)."""
    d = torch.as_tensor(denominator, dtype=grad_out.dtype)
    return torch.where(d == 0, torch.zeros_like(grad_out), grad_out / torch.where(d == 0, 1, d))


def _reduction(reduction: object) -> str:
    return check_choice(reduction, "reduction", REDUCTIONS)


def _same_shape(input: object, target: object) -> tuple[Tensor, Tensor]:
    x = check_tensor(input, "input")
    y = check_tensor(target, "target")
    if x.shape != y.shape:
        raise ValueError(f"input and target must have the same shape, got {tuple(x.shape)} "
                         f"and {tuple(y.shape)}")
    return x, y


def _apply(x, y, loss, d_input, d_target, reduction, denominator=None):
    n = denominator if denominator is not None else max(loss.numel(), 1)
    return LossFunction.apply(x, y, loss.detach(), d_input.detach(),
                              None if d_target is None else d_target.detach(), reduction, n)


# --- Regression losses --------------------------------------------------------------------------


def _regression_loss(input: object, target: object, reduction: object, weight: object,
                     loss_and_grad: Callable[[Tensor], tuple[Tensor, Tensor]],
                     weighted_mean: str = "sum of weights") -> Tensor:
    r"""A loss of the difference $d = x - y$: ``loss_and_grad(d)`` gives $\ell(d)$ and
    $\partial\ell/\partial d$ elementwise ($\partial\ell/\partial y = -\partial\ell/\partial d$).

    ``input``, ``target`` and ``weight`` (optional) have one shape; with ``weight`` $w$ the losses
    are $w\,\ell$ and ``"mean"`` divides their sum by $\sum w$ (``weighted_mean="count"``: by
    the number of elements, torch's Huber loss), as torch >= 2.6 does.
    """
    x, y = _same_shape(input, target)
    r = _reduction(reduction)
    with torch.no_grad():
        loss, grad = loss_and_grad(x - y)
    if weight is None:
        return _apply(x, y, loss, grad, -grad, r)
    w = check_tensor(weight, "weight")
    if w.shape != x.shape:
        raise ValueError(f"weight must have the input's shape {tuple(x.shape)}, got {tuple(w.shape)}")
    weighted = w * _apply(x, y, loss, grad, -grad, "none")
    if r == "none":
        return weighted
    total = weighted.sum()
    if r == "sum":
        return total
    return total / (w.sum() if weighted_mean == "sum of weights" else weighted.numel())


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    r"""Mean squared error: $\ell = (x - y)^2$, $\partial\ell/\partial x = 2(x - y)$.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param weight: per-element weights $w$ (``input``'s shape), or None: the losses become $w\,\ell$.
    """
    return _regression_loss(input, target, reduction, weight, lambda d: (d * d, 2 * d))


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    r"""Mean absolute error: $\ell = |x - y|$, $\partial\ell/\partial x = \operatorname{sign}(x - y)$.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param weight: per-element weights $w$ (``input``'s shape), or None: the losses become $w\,\ell$.
    """
    return _regression_loss(input, target, reduction, weight, lambda d: (d.abs(), torch.sign(d)))


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    r"""Smooth L1: $\ell = \tfrac{d^2}{2\beta}$ for $|d| < \beta$, else $|d| - \tfrac{\beta}{2}$.

    Here $d = x - y$. The derivative is $d/\beta$ inside, $\operatorname{sign}(d)$ outside;
    $\beta = 0$ is L1.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param beta: the width $\beta \ge 0$ of the quadratic region.
    """
    b = check_real(beta, "beta", min_value=0.0)
    if b == 0.0:
        return l1_loss(input, target, reduction)

    def loss_and_grad(d: Tensor) -> tuple[Tensor, Tensor]:
        inside = d.abs() < b
        return (torch.where(inside, 0.5 * d * d / b, d.abs() - 0.5 * b),
                torch.where(inside, d / b, torch.sign(d)))

    return _regression_loss(input, target, reduction, None, loss_and_grad)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    r"""Huber: $\ell = \tfrac12 d^2$ for $|d| \le \delta$, else $\delta(|d| - \tfrac{\delta}{2})$.

    The derivative is $d$ inside and $\delta\operatorname{sign}(d)$ outside: $\delta$ times
    smooth L1 with $\beta = \delta$.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param delta: the width $\delta > 0$ of the quadratic region.
    :param weight: per-element weights $w$ (``input``'s shape), or None; ``"mean"`` then still
        divides by the number of elements, as torch does.
    """
    k = check_real(delta, "delta", min_value=0.0, allow_min=False)

    def loss_and_grad(d: Tensor) -> tuple[Tensor, Tensor]:
        inside = d.abs() <= k
        return (torch.where(inside, 0.5 * d * d, k * (d.abs() - 0.5 * k)),
                torch.where(inside, d, k * torch.sign(d)))

    return _regression_loss(input, target, reduction, weight, loss_and_grad, weighted_mean="count")


def msle(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean squared logarithmic error: $\ell = (\log(1 + \hat x) - \log(1 + \hat y))^2$.

    Values are clipped below at $\epsilon = 10^{-7}$ first ($\hat x = \max(x, \epsilon)$), as in
    the common (Keras) definition, so negative values count as 0. No torch twin.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """
    x, y = _same_shape(input, target)
    r = _reduction(reduction)
    with torch.no_grad():
        xc, yc = x.clamp(min=EPSILON), y.clamp(min=EPSILON)
        d = torch.log1p(xc) - torch.log1p(yc)
        d_input = 2 * d / (1 + xc) * (x > EPSILON)
        d_target = -2 * d / (1 + yc) * (y > EPSILON)
        args = (x, y, d * d, d_input, d_target, r)
    return _apply(*args)


def mape(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean absolute percentage error: $\ell = 100\,|y - x| / \max(|y|, \epsilon)$, in percent.

    The denominator is clipped at $\epsilon = 10^{-7}$ as in the common (Keras) definition.
    Only the gradient with respect to ``input`` is provided. No torch twin.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predictions $x$, any shape.
    :param target: the targets $y$, ``input``'s shape.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """
    x, y = _same_shape(input, target)
    r = _reduction(reduction)
    with torch.no_grad():
        scale = 100.0 / y.abs().clamp(min=EPSILON)
        args = (x, y, (y - x).abs() * scale, torch.sign(x - y) * scale, None, r)
    return _apply(*args)


# --- Binary classification ----------------------------------------------------------------------


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
    r"""BCE of probabilities: $\ell = -w\,[y \log x + (1 - y)\log(1 - x)]$, $x, y \in [0, 1]$.

    As in torch, each log is clamped at $-100$ so $x = 0$ or $1$ gives a finite loss, and the
    derivative $w\,(x - y) / (x(1 - x))$ uses $\max(x(1-x), 10^{-12})$.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the predicted probabilities $x \in [0, 1]$, any shape.
    :param target: the targets $y \in [0, 1]$, ``input``'s shape.
    :param weight: weights $w$ broadcastable to ``input``'s shape, or None.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    """
    x, y = _same_shape(input, target)
    r = _reduction(reduction)
    w = _weight_like(weight, x)
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError("input must hold probabilities in [0, 1]; for raw scores (logits) use "
                         "binary_cross_entropy_with_logits")
    if y.numel() and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"target must be in [0, 1], got values from {y.min().item():g} to "
                         f"{y.max().item():g}")
    with torch.no_grad():
        log_x, log_1mx = torch.log(x).clamp(min=-100), torch.log1p(-x).clamp(min=-100)
        loss = -(y * log_x + (1 - y) * log_1mx)
        d_input = (x - y) / (x * (1 - x)).clamp(min=1e-12)
        d_target = log_1mx - log_x
        if w is not None:
            loss, d_input, d_target = loss * w, d_input * w, d_target * w
        args = (x, y, loss, d_input, d_target, r)
    return _apply(*args)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    r"""BCE of logits $x$ (the sigmoid is inside), stable for any $x$.

    With $\log\sigma(x) = -\operatorname{softplus}(-x)$ and $\log(1-\sigma(x)) = -\operatorname{softplus}(x)$:
    $\ell = w\,[(1 - y)\,x + (1 + (p - 1)\,y)\operatorname{softplus}(-x)]$, with ``pos_weight``
    $p$ on the positive term, and
    $\partial\ell/\partial x = w\,[(1 + (p-1)y)\,\sigma(x) - p\,y]$, which is $w(\sigma(x) - y)$ for $p = 1$.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the logits $x$, any shape.
    :param target: the targets $y \in [0, 1]$, ``input``'s shape.
    :param weight: weights $w$ broadcastable to ``input``'s shape, or None.
    :param reduction: ``"mean"`` (the average), ``"sum"``, or ``"none"`` (one loss per element).
    :param pos_weight: the weight $p$ of the positive term, broadcastable to ``input``'s shape
        (e.g. ``(C,)``, one per class), or None ($p = 1$).
    """
    x, y = _same_shape(input, target)
    r = _reduction(reduction)
    w = _weight_like(weight, x)
    p = _weight_like(pos_weight, x, "pos_weight")
    with torch.no_grad():
        coef = 1 + (p - 1) * y if p is not None else torch.ones_like(y)
        loss = (1 - y) * x + coef * numerics.softplus(-x)
        d_input = coef * numerics.sigmoid(x) - (p * y if p is not None else y)
        d_target = -x + (p - 1) * numerics.softplus(-x) if p is not None else -x
        if w is not None:
            loss, d_input, d_target = loss * w, d_input * w, d_target * w
        args = (x, y, loss, d_input, d_target, r)
    return _apply(*args)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    r"""$\ell = x$ where $y = 1$ and $\max(0, m - x)$ where $y = -1$ (targets are $\pm 1$).

    The derivative is $1$ where $y = 1$, and $-1$ where $y = -1$ and $x < m$ (0 otherwise).

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
    r = _reduction(reduction)
    m = check_real(margin, "margin")
    with torch.no_grad():
        y = target.to(x.dtype).expand_as(x)
        pos, neg = y != -1, y != 1  # torch's rule, also for values other than +-1
        loss = torch.where(pos, x, 0.0) + torch.where(neg, (m - x).clamp(min=0), 0.0)
        d_input = pos.to(x.dtype) - (neg & (m - x > 0)).to(x.dtype)
        args = (x, None, loss, d_input, None, r)
    return _apply(*args)


# --- Multi-class classification ----------------------------------------------------------------


class CrossEntropyFunction(torch.autograd.Function):
    r"""$\ell_i = -\sum_c a_{ic} \log\operatorname{softmax}(x_i)_c$ for per-sample coefficients $a$.

    $a$ is the (weighted, smoothed) target distribution; log-softmax uses log-sum-exp. The
    gradient is $\partial\ell_i/\partial x_{ic} = \operatorname{softmax}(x_i)_c \sum_k a_{ik} - a_{ic}$,
    which is $p - y$ for a one-hot target $y$ and weight 1.
    """

    @staticmethod
    def forward(ctx, x, target, coef, d_coef, reduction, denominator):
        log_p = numerics.log_softmax(x, dim=1)
        loss = -(coef * log_p).sum(dim=1)
        ctx.save_for_backward(log_p, coef, d_coef)
        ctx.reduction, ctx.denominator = reduction, denominator
        ctx.target_grad = target is not None and target.requires_grad
        if reduction == "none":
            return loss
        return loss.sum() / denominator if reduction == "mean" else loss.sum()

    @staticmethod
    def backward(ctx, grad_out):
        # Probability targets t also get a gradient: a = d_coef * t + const, so
        # d l_i / d t_ic = -d_coef_c * log softmax(x_i)_c.
        log_p, coef, d_coef = ctx.saved_tensors
        grad = torch.exp(log_p) * coef.sum(dim=1, keepdim=True) - coef
        if ctx.reduction == "none":
            scale = grad_out.unsqueeze(1)
        else:
            scale = _mean_scale(grad_out, ctx.denominator) if ctx.reduction == "mean" else grad_out
        grad_target = -d_coef * log_p * scale if ctx.target_grad else None
        return grad * scale, grad_target, None, None, None, None


def _class_weight(weight: Tensor | None, classes: int, x: Tensor) -> Tensor:
    if weight is None:
        return torch.ones(classes, dtype=x.dtype, device=x.device)
    w = check_tensor(weight, "weight")
    if w.shape != (classes,):
        raise ValueError(f"weight must have one value per class, shape ({classes},), got {tuple(w.shape)}")
    return w.to(x.dtype)


def _class_targets(x: Tensor, target: object, ignore_index: int) -> Tensor:
    """Check class-index targets for input ``x`` of shape [N, C, ...]; return them as long."""
    if not isinstance(target, Tensor):
        raise TypeError(f"target must be a torch.Tensor, got {type(target).__name__}")
    if target.is_floating_point():
        raise TypeError(f"target of dtype {target.dtype} and shape {tuple(target.shape)}: class indices "
                        f"must be integers (torch.long); probability targets must have the input's "
                        f"shape {tuple(x.shape)}")
    expected = (x.shape[0], *x.shape[2:])
    if target.shape != expected:
        raise ValueError(f"target must have shape {expected} (the input {tuple(x.shape)} without its "
                         f"class dimension 1), got {tuple(target.shape)}")
    valid = target[target != ignore_index]
    if valid.numel() and (valid.min() < 0 or valid.max() >= x.shape[1]):
        raise ValueError(f"target class indices must be in [0, {x.shape[1] - 1}] (or ignore_index="
                         f"{ignore_index}), got values from {valid.min().item()} to {valid.max().item()}")
    return target.long()


def _batched(input: object) -> tuple[Tensor, bool]:
    x = check_tensor(input, "input")
    if x.dim() == 0:
        raise ValueError("input must have a class dimension: shape [C], [N, C] or [N, C, d1, ...]")
    return (x.unsqueeze(0), True) if x.dim() == 1 else (x, False)


def _one_hot(target: Tensor, classes: int, dtype: torch.dtype) -> Tensor:
    safe = target.clamp(min=0, max=classes - 1)
    return torch.zeros((*target.shape, classes), dtype=dtype, device=target.device).scatter_(
        -1, safe.unsqueeze(-1), 1.0).movedim(-1, 1)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    r"""Cross-entropy of logits ``input`` ([N, C], [N, C, d...] or [C]) with class indices or probabilities.

    Class indices $y_i$: $\ell_i = -w_{y_i} \log \operatorname{softmax}(x_i)_{y_i}$, and ``mean``
    divides by $\sum_i w_{y_i}$ over the samples not equal to ``ignore_index`` (not by $N$).
    With label smoothing $\varepsilon$ the target becomes $(1 - \varepsilon)\,\text{onehot} +
    \varepsilon / C$ (weighted per class), as in torch. Probability targets (``input``'s shape):
    $\ell_i = -\sum_c w_c\, t_{ic} \log \operatorname{softmax}(x_i)_c$, and ``mean`` divides by $N$.

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
    x, unbatched = _batched(input)
    r = _reduction(reduction)
    eps = check_real(label_smoothing, "label_smoothing", min_value=0.0, max_value=1.0)
    classes = x.shape[1]
    w = _class_weight(weight, classes, x).reshape(1, classes, *([1] * (x.dim() - 2)))
    soft = None  # probability targets, which get a gradient (unsqueezed outside no_grad)
    if isinstance(target, Tensor) and target.is_floating_point() and target.shape == input.shape:
        soft = target.unsqueeze(0) if unbatched else target
    with torch.no_grad():
        if isinstance(target, Tensor) and target.is_floating_point() and (
                target.shape == input.shape):
            t = target.unsqueeze(0) if unbatched else target
            if eps:
                t = t * (1 - eps) + eps / classes
            coef = w * t.to(x.dtype)
            d_coef = w * (1 - eps)
            denominator = max(x.numel() // classes, 1)
        else:
            y = _class_targets(x, target.unsqueeze(0) if unbatched and isinstance(target, Tensor)
                               and target.dim() == 0 else target, ignore_index)
            keep = (y != ignore_index).unsqueeze(1).to(x.dtype)
            one_hot = _one_hot(y, classes, x.dtype)
            coef = ((1 - eps) * one_hot + eps / classes) * w * keep
            denominator = (one_hot * w * keep).sum()
            d_coef = torch.zeros(())
    out = CrossEntropyFunction.apply(x, soft, coef, d_coef, r, denominator)
    return out.squeeze(0) if unbatched and r == "none" else out


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    r"""Negative log-likelihood of log-probabilities ``input``: $\ell_i = -w_{y_i}\, x_{i, y_i}$.

    ``mean`` divides by $\sum_i w_{y_i}$ over the non-ignored samples; the derivative is
    $-w_{y_i}$ at the target class and 0 elsewhere. ``log_softmax`` then ``nll_loss`` equals
    ``cross_entropy``.

    Shapes: ``(N, C), (N,) -> ()``, or ``(N,)`` with ``reduction="none"`` (also ``(N, C, d_1, ...)``
    with targets ``(N, d_1, ...)``, and ``(C,)`` with a ``()`` target).

    :param input: log-probabilities $x$, ``(N, C)``, ``(N, C, d_1, ...)`` or ``(C,)``.
    :param target: class indices $y_i \in [0, C)$, integers, ``input``'s shape without dimension 1.
    :param weight: a weight $w_c$ per class, ``(C,)``, or None.
    :param ignore_index: a class index whose samples count neither in the loss nor in the mean.
    :param reduction: ``"mean"`` (weighted average over the samples), ``"sum"``, or ``"none"``
        (one loss per sample).
    """
    x, unbatched = _batched(input)
    r = _reduction(reduction)
    classes = x.shape[1]
    w = _class_weight(weight, classes, x).reshape(1, classes, *([1] * (x.dim() - 2)))
    t = target.unsqueeze(0) if unbatched and isinstance(target, Tensor) and target.dim() == 0 else target
    y = _class_targets(x, t, ignore_index)
    with torch.no_grad():
        coef = _one_hot(y, classes, x.dtype) * w * (y != ignore_index).unsqueeze(1).to(x.dtype)
        loss = -(coef * x).sum(dim=1)
        args = (x, None, loss, -coef, None, r, coef.sum())
    out = _apply(*args)
    return out.squeeze(0) if unbatched and r == "none" else out


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    r"""KL divergence $\sum p\,(\log p - x)$, with ``input`` $x = \log q$ the model's log-probabilities.

    ``target`` holds $p$ (or $\log p$ with ``log_target=True``); terms with $p = 0$ are 0.
    The derivative with respect to $x$ is $-p$. ``reduction="batchmean"`` divides the sum by the
    batch size, the mathematically correct KL per sample; ``"mean"`` divides by the number of
    elements, as torch does.

    Shapes: ``(*), (*) -> ()``, or ``(*)`` with ``reduction="none"``.

    :param input: the model's log-probabilities $x = \log q$, any shape.
    :param target: the probabilities $p$ (or $\log p$), ``input``'s shape.
    :param reduction: ``"mean"`` (over all elements), ``"batchmean"`` (over dimension 0),
        ``"sum"`` or ``"none"``.
    :param log_target: ``target`` holds $\log p$ instead of $p$.
    """
    x, y = _same_shape(input, target)
    r = check_choice(reduction, "reduction", ("none", "batchmean", "mean", "sum"))
    with torch.no_grad():
        p = torch.exp(y) if log_target else y
        # torch's p log p is xlogy(p, p): 0 at p = 0 and NaN for an invalid p < 0 (so is the loss)
        loss = torch.xlogy(y, y) - y * x if not log_target else p * (y - x)
        d_target = (p * (y - x + 1) if log_target
                    else torch.where(y > 0, torch.log(y) + 1 - x, torch.nan))
        n = max(x.shape[0], 1) if x.dim() and r == "batchmean" else None
        args = (x, y, loss, -p, d_target, "mean" if r == "batchmean" else r, n)
    return _apply(*args)


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
