"""Regularization: dropout, batch and layer normalization, weight penalties, early stopping.

Taught in the chapter "Regularization". Dropout and the normalizations are
:class:`torch.autograd.Function` subclasses with a hand-written backward; the module classes
mirror :class:`torch.nn.Dropout`, :class:`torch.nn.Dropout2d`, :class:`torch.nn.BatchNorm1d`,
:class:`torch.nn.BatchNorm2d` and :class:`torch.nn.LayerNorm` (names, arguments, parameters and
buffers), so a torch module's ``state_dict`` loads into ours and the two can be swapped.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from nnbasics._checks import check_choice, check_int, check_module, check_real, check_tensor

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "Dropout2d",
    "EarlyStopping",
    "LayerNorm",
    "batch_norm",
    "dropout",
    "dropout2d",
    "l1_penalty",
    "l2_penalty",
    "layer_norm",
]

SCALINGS = ("inverted", "at_inference")


# --- Dropout ------------------------------------------------------------------------------------


class DropoutFunction(torch.autograd.Function):
    r"""$y = x \odot m \cdot s$ with a 0/1 mask $m$ and scale $s$; backward: $g \odot m \cdot s$.

    The same mask is used in the backward pass: a dropped unit passes no gradient back.
    """

    @staticmethod
    def forward(ctx, x: Tensor, mask: Tensor, scale: float) -> Tensor:
        ctx.save_for_backward(mask)
        ctx.scale = scale
        return x * mask * scale

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, None, None]:
        (mask,) = ctx.saved_tensors
        return grad_out * mask * ctx.scale, None, None


def _check_p(p: object) -> float:
    return check_real(p, "p", min_value=0.0, max_value=1.0)


def _dropout(x: Tensor, p: float, training: bool, inplace: bool, scaling: str,
             mask_shape: Sequence[int]) -> Tensor:
    if training and p > 0:
        keep = (torch.rand(mask_shape, device=x.device) >= p).to(x.dtype)
        # p = 1 drops everything (torch returns zeros): no 1 / 0
        scale = (1.0 / (1.0 - p) if p < 1 else 0.0) if scaling == "inverted" else 1.0
        y = DropoutFunction.apply(x, keep, scale)  # saves only the mask, so x may be overwritten
        return x.copy_(y) if inplace else y
    if not training and scaling == "at_inference":
        # the expected value of a unit kept with probability 1 - p
        return x.mul_(1.0 - p) if inplace else x * (1.0 - p)
    return x


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            scaling: str = "inverted") -> Tensor:
    r"""Zero each element with probability ``p`` in training, like :func:`torch.nn.functional.dropout`.

    ``input``: any shape, same out. ``scaling="inverted"`` (torch's convention) multiplies the
    kept elements by $1/(1-p)$ in training and leaves evaluation untouched;
    ``scaling="at_inference"`` (the original paper's) keeps training unscaled and multiplies by
    $1 - p$ in evaluation. Either way the expected output in training equals the output in
    evaluation. ``(*) -> (*)``.

    :param input: any shape.
    :param p: the drop probability, in $[0, 1]$ (1 gives zeros).
    :param training: drop (True) or pass through (False, evaluation).
    :param inplace: write the result into ``input``, as in torch.
    :param scaling: ``"inverted"`` or ``"at_inference"``: where the factor $1 - p$ is compensated.
    """
    x = check_tensor(input)
    rate = _check_p(p)
    mode = check_choice(scaling, "scaling", SCALINGS)
    return _dropout(x, rate, bool(training), bool(inplace), mode, x.shape)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              scaling: str = "inverted") -> Tensor:
    """Drop whole channels: one mask value per (sample, channel) of an ``(N, C, H, W)`` input.

    A ``(C, H, W)`` input is one sample. Like :func:`torch.nn.functional.dropout2d`.
    ``(N, C, H, W) -> (N, C, H, W)``.

    :param input: ``(N, C, H, W)`` or ``(C, H, W)``.
    :param p: the probability of dropping a channel, in $[0, 1]$.
    :param training: drop (True) or pass through (False, evaluation).
    :param inplace: write the result into ``input``, as in torch.
    :param scaling: ``"inverted"`` or ``"at_inference"``, as in :func:`dropout`.
    """
    x = check_tensor(input)
    if x.dim() not in (3, 4):
        raise ValueError(f"dropout2d expects a [N, C, H, W] or [C, H, W] input, got shape {tuple(x.shape)}")
    rate = _check_p(p)
    mode = check_choice(scaling, "scaling", SCALINGS)
    mask_shape = (*x.shape[:-2], 1, 1)
    return _dropout(x, rate, bool(training), bool(inplace), mode, mask_shape)


class Dropout(nn.Module):
    """Module form of :func:`dropout`, like :class:`torch.nn.Dropout` (active in ``train()``): ``(*) -> (*)``.

    :param p: the drop probability, in $[0, 1]$.
    :param inplace: write the result into the input, as in torch.
    :param scaling: ``"inverted"`` or ``"at_inference"``, as in :func:`dropout`.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, scaling: str = "inverted") -> None:
        super().__init__()
        self.p = _check_p(p)
        self.inplace = bool(inplace)
        self.scaling = check_choice(scaling, "scaling", SCALINGS)

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace, self.scaling)

    def extra_repr(self) -> str:
        extra = "" if self.scaling == "inverted" else f", scaling={self.scaling!r}"
        return f"p={self.p}, inplace={self.inplace}{extra}"


class Dropout2d(Dropout):
    """Module form of :func:`dropout2d`, like :class:`torch.nn.Dropout2d`: ``(N, C, H, W) -> (N, C, H, W)``.

    :param p: the probability of dropping a channel, in $[0, 1]$.
    :param inplace: write the result into the input, as in torch.
    :param scaling: ``"inverted"`` or ``"at_inference"``, as in :func:`dropout`.
    """

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training, self.inplace, self.scaling)


# --- Normalization ------------------------------------------------------------------------------


def _sum_over(t: Tensor, dims: list[int]) -> Tensor:
    # torch reads an empty dim list as "every dim": here it must mean "none".
    return t.sum(dim=dims) if dims else t


def _scale_and_shift(ctx, x_hat: Tensor, invstd: Tensor, weight: Tensor | None, bias: Tensor | None,
                     param_shape: tuple[int, ...]) -> Tensor:
    r"""$y = \gamma \hat x + \beta$ (each optional), saving what ``_affine_grads`` needs.

    ``param_shape`` is ``weight``'s shape with a 1 in every dimension it broadcasts over."""
    ctx.save_for_backward(x_hat, invstd, weight)
    ctx.param_shape, ctx.has_bias = param_shape, bias is not None
    ctx.bias_shape = None if bias is None else bias.shape
    y = x_hat if weight is None else x_hat * weight.reshape(param_shape)
    return y if bias is None else y + bias.reshape(param_shape)


def _affine_grads(ctx, grad_out: Tensor, x_hat: Tensor, weight: Tensor | None
                  ) -> tuple[Tensor | None, Tensor | None]:
    r"""$\partial L/\partial\gamma = \sum g\,\hat x$ and $\partial L/\partial\beta = \sum g$, summed over
    every dimension where the parameters broadcast (size 1 in ``ctx.param_shape``)."""
    param_dims = [d for d in range(x_hat.dim()) if ctx.param_shape[d] == 1]
    grad_w = None if weight is None else _sum_over(grad_out * x_hat, param_dims).reshape(weight.shape)
    grad_b = _sum_over(grad_out, param_dims).reshape(ctx.bias_shape) if ctx.has_bias else None
    return grad_w, grad_b


class NormalizeFunction(torch.autograd.Function):
    r"""Normalize over ``dims`` with the batch's own statistics, then scale and shift.

    $\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}$ with the biased variance over the $m$
    reduced elements, $y = \gamma \hat x + \beta$. Backward, with $\hat g = \gamma\,g$:
    $\partial L/\partial x = \frac{1}{m\sqrt{\sigma^2+\epsilon}}\bigl(m \hat g - \sum \hat g -
    \hat x \sum \hat g \hat x\bigr)$, $\partial L/\partial\gamma = \sum g\,\hat x$,
    $\partial L/\partial\beta = \sum g$.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps, param_shape):
        mean = x.mean(dim=dims, keepdim=True)
        centered = x - mean
        invstd = 1.0 / torch.sqrt((centered * centered).mean(dim=dims, keepdim=True) + eps)
        x_hat = centered * invstd
        ctx.dims = dims
        return _scale_and_shift(ctx, x_hat, invstd, weight, bias, param_shape)

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, invstd, weight = ctx.saved_tensors
        dims, shape = ctx.dims, ctx.param_shape
        g_hat = grad_out if weight is None else grad_out * weight.reshape(shape)
        m = math.prod(x_hat.shape[d] for d in dims)
        grad_x = invstd / m * (m * g_hat - g_hat.sum(dim=dims, keepdim=True)
                               - x_hat * (g_hat * x_hat).sum(dim=dims, keepdim=True))
        grad_w, grad_b = _affine_grads(ctx, grad_out, x_hat, weight)
        return grad_x, grad_w, grad_b, None, None, None


class NormalizeWithStatsFunction(torch.autograd.Function):
    r"""Normalize with fixed statistics (batch norm in evaluation).

    $y = \gamma\,(x - \mu)/\sqrt{v + \epsilon} + \beta$ with the running mean $\mu$ and variance $v$.

    The statistics are constants, so $\partial L/\partial x = \gamma\,g/\sqrt{v + \epsilon}$.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, eps, param_shape):
        invstd = 1.0 / torch.sqrt(var.reshape(param_shape) + eps)
        x_hat = (x - mean.reshape(param_shape)) * invstd
        return _scale_and_shift(ctx, x_hat, invstd, weight, bias, param_shape)

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, invstd, weight = ctx.saved_tensors
        shape = ctx.param_shape
        scale = invstd if weight is None else invstd * weight.reshape(shape)
        grad_w, grad_b = _affine_grads(ctx, grad_out, x_hat, weight)
        return grad_out * scale, grad_w, grad_b, None, None, None, None


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5,
               num_batches_tracked: Tensor | None = None) -> Tensor:
    r"""Batch normalization per channel: $y = \gamma\,(x - \mu_c)/\sqrt{\sigma_c^2 + \epsilon} + \beta$.

    In training (or without running statistics) each channel is normalized with the mean and
    biased variance of its $N \cdot L$ (or $N \cdot H \cdot W$) values, and the running
    statistics are updated in place: $r \leftarrow (1 - m)\,r + m\,s$, with the *unbiased*
    batch variance for ``running_var`` (``momentum=None``: a cumulative average). In evaluation
    the running statistics are used. Like :func:`torch.nn.functional.batch_norm`.
    ``(N, C, *) -> (N, C, *)``: ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)``.

    :param input: ``(N, C, *)``.
    :param running_mean: the running mean per channel, ``(C,)``, updated in training; or None.
    :param running_var: the running variance per channel, ``(C,)``, updated in training; or None.
    :param weight: the scale $\gamma$, ``(C,)``, or None (1).
    :param bias: the shift $\beta$, ``(C,)``, or None (0).
    :param training: normalize with the batch's statistics and update the running ones.
    :param momentum: the update rate $m$ of the running statistics (None: a cumulative average).
    :param eps: $\epsilon$, added to the variance.
    :param num_batches_tracked: the number of batches seen, a tensor; needed with ``momentum=None``.
    """
    x = check_tensor(input)
    if x.numel() == 0:  # torch: an empty batch gives an empty output, statistics untouched
        return x.clone()
    if x.dim() < 2:
        raise ValueError(f"batch_norm expects input of shape [N, C, ...], got shape {tuple(x.shape)}")
    channels = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"{name} must have shape ({channels},) for input with {channels} "
                             f"channels in dim 1, got {tuple(t.shape)}")
    eps = check_real(eps, "eps")  # torch accepts any eps; a negative one may give NaN, as in torch
    dims = (0, *range(2, x.dim()))
    param_shape = (1, channels, *([1] * (x.dim() - 2)))
    use_batch_stats = training or running_mean is None or running_var is None
    if not use_batch_stats:
        return NormalizeWithStatsFunction.apply(x, weight, bias, running_mean, running_var, eps, param_shape)
    count = x.numel() // channels
    if training and count <= 1:
        raise ValueError(f"batch norm in training needs more than 1 value per channel, got input of "
                         f"shape {tuple(x.shape)}: use a batch of 2 or more, or call model.eval()")
    if training and running_mean is not None and running_var is not None:
        with torch.no_grad():
            mean = x.mean(dim=dims)
            var_unbiased = x.var(dim=dims, correction=1)
            if momentum is None:
                if num_batches_tracked is None:
                    raise ValueError("momentum=None (cumulative average) needs num_batches_tracked")
                factor = 1.0 / float(num_batches_tracked.item())
            else:
                factor = check_real(momentum, "momentum")  # torch does not bound it
            running_mean.mul_(1 - factor).add_(factor * mean)
            running_var.mul_(1 - factor).add_(factor * var_unbiased)
    return NormalizeFunction.apply(x, weight, bias, dims, eps, param_shape)


class _BatchNorm(nn.Module):
    _dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: object = None,
                 dtype: torch.dtype | None = None, *, bias: bool = True) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        check_int(num_features, "num_features")
        self.num_features = num_features
        self.eps = check_real(eps, "eps", min_value=0.0, allow_min=False)
        self.momentum = None if momentum is None else check_real(momentum, "momentum", min_value=0.0,
                                                                 max_value=1.0)
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", nn.Parameter(torch.ones(num_features, **factory))
                                if affine else None)
        self.register_parameter("bias", nn.Parameter(torch.zeros(num_features, **factory))
                                if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))
            self.register_buffer("running_var", torch.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, input: Tensor) -> Tensor:
        x = check_tensor(input)
        if x.dim() not in self._dims:
            dims = " or ".join(f"{d}-D" for d in self._dims)
            raise ValueError(f"{type(self).__name__} expects {dims} input, got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects {self.num_features} "
                             f"features (channels) in dim 1, got input of shape {tuple(x.shape)}")
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats, self.momentum, self.eps,
                          self.num_batches_tracked)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    r"""Batch norm per channel, like :class:`torch.nn.BatchNorm1d`: ``(N, C, L) -> (N, C, L)`` or
    ``(N, C) -> (N, C)``.

    :param num_features: the number of channels $C$.
    :param eps: $\epsilon > 0$, added to the variance.
    :param momentum: the running statistics' update rate $m$ (None: a cumulative average).
    :param affine: learn a scale $\gamma$ and a shift $\beta$ per channel.
    :param track_running_stats: keep running statistics for evaluation (else always use the batch's).
    :param device: where the parameters and buffers are created.
    :param dtype: their dtype.
    :param bias: learn the shift $\beta$ (with ``affine``).
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    r"""Batch norm per channel, like :class:`torch.nn.BatchNorm2d`: ``(N, C, H, W) -> (N, C, H, W)``.

    :param num_features: the number of channels $C$.
    :param eps: $\epsilon > 0$, added to the variance.
    :param momentum: the running statistics' update rate $m$ (None: a cumulative average).
    :param affine: learn a scale $\gamma$ and a shift $\beta$ per channel.
    :param track_running_stats: keep running statistics for evaluation (else always use the batch's).
    :param device: where the parameters and buffers are created.
    :param dtype: their dtype.
    :param bias: learn the shift $\beta$ (with ``affine``).
    """

    _dims = (4,)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Normalize each sample over its last ``len(normalized_shape)`` dimensions.

    $y = \gamma\,(x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta$, the statistics taken per sample
    (not over the batch), so training and evaluation behave the same. Like
    :func:`torch.nn.functional.layer_norm`. ``(*, *normalized_shape) -> (*, *normalized_shape)``.

    :param input: ``(*, *normalized_shape)``.
    :param normalized_shape: the trailing dimensions each sample is normalized over.
    :param weight: the scale $\gamma$, of shape ``normalized_shape``, or None (1).
    :param bias: the shift $\beta$, of shape ``normalized_shape``, or None (0).
    :param eps: $\epsilon$, added to the variance.
    """
    x = check_tensor(input)
    shape = tuple(normalized_shape)
    if not shape or x.shape[x.dim() - len(shape):] != shape:
        raise ValueError(f"normalized_shape {shape} must match the last dimensions of the input, "
                         f"got input of shape {tuple(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(t.shape)}")
    eps = check_real(eps, "eps")  # torch accepts any eps
    dims = tuple(range(x.dim() - len(shape), x.dim()))
    param_shape = (*([1] * (x.dim() - len(shape))), *shape)
    return NormalizeFunction.apply(x, weight, bias, dims, eps, param_shape)


class LayerNorm(nn.Module):
    r"""Module form of :func:`layer_norm`, like :class:`torch.nn.LayerNorm`.

    ``(*, *normalized_shape) -> (*, *normalized_shape)``.

    :param normalized_shape: the trailing dimensions each sample is normalized over (an int: one).
    :param eps: $\epsilon > 0$, added to the variance.
    :param elementwise_affine: learn a scale $\gamma$ and a shift $\beta$ of shape ``normalized_shape``.
    :param bias: learn the shift $\beta$ (with ``elementwise_affine``).
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: object = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        if not shape or any(not isinstance(s, int) or s < 1 for s in shape):
            raise ValueError(f"normalized_shape must be positive ints, got {normalized_shape!r}")
        self.normalized_shape = shape
        self.eps = check_real(eps, "eps", min_value=0.0, allow_min=False)
        self.elementwise_affine = elementwise_affine
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.ones(shape, **factory)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(shape, **factory)) if elementwise_affine and bias else None

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


# --- Weight penalties and early stopping ----------------------------------------------------------


def _penalized(model: nn.Module, weights_only: bool) -> list[Tensor]:
    check_module(model)
    # Weight matrices and kernels have 2+ dimensions; biases and normalization scales have 1.
    return [p for p in model.parameters() if p.requires_grad and (p.dim() >= 2 or not weights_only)]


def l1_penalty(model: nn.Module, weights_only: bool = True) -> Tensor:
    r"""$R_1(w) = \sum |w|$ over the model's weights, a scalar tensor.

    :param model: the network.
    :param weights_only: only the weight matrices and kernels (2+ dimensions), not the biases and
        normalization scales; False: every parameter.
    """
    params = _penalized(model, weights_only)
    return sum((p.abs().sum() for p in params), torch.zeros(()))


def l2_penalty(model: nn.Module, weights_only: bool = True) -> Tensor:
    r"""$\lVert w \rVert_2^2 = \sum w^2$ over the model's weights, a scalar tensor.

    That is twice the chapter's penalty $R_2(w) = \tfrac12 \lVert w \rVert_2^2$. Adding
    $\tfrac{\lambda}{2} \lVert w \rVert_2^2 = \lambda R_2(w)$ to the loss gives the gradient
    $\lambda w$, which is what ``SGD(weight_decay=λ)`` adds (to every parameter, biases included).

    :param model: the network.
    :param weights_only: only the weight matrices and kernels (2+ dimensions), not the biases and
        normalization scales; False: every parameter.
    """
    params = _penalized(model, weights_only)
    return sum(((p * p).sum() for p in params), torch.zeros(()))


class EarlyStopping:
    """Stop training once a monitored value has gone more than ``patience`` epochs without improving.

    An epoch improves if the value beats the best so far by more than ``min_delta`` (lower is
    better with ``mode="min"``). ``patience`` epochs in a row without improvement are tolerated,
    as torch's ``ReduceLROnPlateau`` counts its ``patience``; :meth:`step` returns True at the
    next one, the (patience + 1)-th. (Keras's and Lightning's ``EarlyStopping`` stop one epoch
    earlier, at the ``patience``-th.) With ``restore_best_weights`` the model gets back the weights
    of its best epoch when training stops. Use it by hand, ``if stopper.step(val_loss, model):
    break``, or as a training-loop callback through ``on_epoch_end(epoch, logs, model)``.

    >>> stopper = EarlyStopping(patience=2)
    >>> [stopper.step(loss) for loss in (1.0, 0.9, 0.95, 0.97, 0.99)]
    [False, False, False, False, True]
    >>> stopper.best_epoch, stopper.stopped_epoch
    (1, 4)

    :param patience: how many epochs without improvement are tolerated (>= 0).
    :param min_delta: how much better (>= 0) a value must be to count as an improvement.
    :param monitor: the key of the logs :meth:`on_epoch_end` reads.
    :param mode: ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (e.g. accuracy).
    :param restore_best_weights: load the best epoch's weights back into the model when stopping.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, monitor: str = "val_loss",
                 mode: str = "min", restore_best_weights: bool = True) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        self.patience = patience
        self.min_delta = check_real(min_delta, "min_delta", min_value=0.0)
        self.monitor = monitor
        self.mode = check_choice(mode, "mode", ("min", "max"))
        self.restore_best_weights = restore_best_weights
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.epochs_without_improvement = 0
        self.stopped_epoch: int | None = None
        self._best_state: dict | None = None
        self._epoch = -1

    def step(self, value: float, model: nn.Module | None = None) -> bool:
        """Record one epoch's value; return True when training should stop.

        :param value: the monitored value of this epoch (e.g. the validation loss).
        :param model: the model, whose best weights are kept with ``restore_best_weights``; or None.
        """
        self._epoch += 1
        value = float(value)
        if self.mode == "min":
            better = value < self.best - self.min_delta
        else:
            better = value > self.best + self.min_delta
        if better:
            self.best, self.best_epoch, self.epochs_without_improvement = value, self._epoch, 0
            if model is not None and self.restore_best_weights:
                self._best_state = copy.deepcopy(model.state_dict())
            return False
        self.epochs_without_improvement += 1
        if self.epochs_without_improvement > self.patience:
            self.stopped_epoch = self._epoch
            if model is not None and self._best_state is not None:
                model.load_state_dict(self._best_state)
            return True
        return False

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: nn.Module | None = None) -> bool:
        """Callback form: read ``logs[monitor]`` (e.g. the epoch's validation loss).

        :param epoch: the epoch's number (unused: the calls are counted).
        :param logs: the epoch's logged values, as :func:`~nnbasics.training.fit` passes them.
        :param model: the model, as in :meth:`EarlyStopping.step`.
        """
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the epoch logs only have "
                           f"{sorted(logs)}: pass a validation loader, or set monitor=")
        return self.step(logs[self.monitor], model)
