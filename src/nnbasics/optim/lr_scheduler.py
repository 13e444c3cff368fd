"""Learning-rate schedules, with the names and behaviour of :mod:`torch.optim.lr_scheduler`.

Taught in the chapter "Optimizers and learning-rate schedules". Each schedule is a closed-form
function of the epoch counter, written out in ``lr_at``; as in torch, building a scheduler sets
the epoch-0 learning rate, and each ``step()`` (once per epoch, after ``optimizer.step()``)
moves to the next epoch.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable

import torch
from torch.optim.lr_scheduler import LRScheduler

from nnbasics._checks import check_choice, check_optimizer, check_real

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
]


def _check_count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


class _Schedule(LRScheduler):
    """Bookkeeping shared by the closed-form schedules, inherited from torch's ``LRScheduler``.

    torch's base class records ``initial_lr``/``base_lrs``, counts ``last_epoch``, and gives
    ``step()``, ``get_last_lr()`` and a ``state_dict()`` with torch's keys, so these schedules work
    inside torch's ``SequentialLR`` and ``ChainedScheduler``. Each schedule writes its formula once,
    in ``lr_at``. When another scheduler (or the user) has changed the rate since the last step,
    ``get_lr`` moves the group's *current* rate by the same step the formula takes from epoch
    ``e - 1`` to ``e`` (torch's "chainable" form), so that change is kept, as in torch.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, last_epoch: int) -> None:
        super().__init__(check_optimizer(optimizer), last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError  # every schedule below defines its formula

    def get_lr(self) -> list[float]:
        epoch = self.last_epoch
        floor = getattr(self, "eta_min", 0.0)  # the level the formula's steps scale around
        rates = []
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            before = self.lr_at(base, epoch - 1) if epoch > 0 else base
            after = self.lr_at(base, epoch)
            if group["lr"] == before:  # nobody else changed the rate: the formula's own value
                rates.append(after)
            elif before != floor:  # same ratio above the floor as the formula's
                rates.append(floor + (group["lr"] - floor) * (after - floor) / (before - floor))
            else:  # the formula sat on its floor: take the same step
                rates.append(group["lr"] + after - before)
        return rates

    def _get_closed_form_lr(self) -> list[float]:
        return [self.lr_at(base, self.last_epoch) for base in self.base_lrs]


class StepLR(_Schedule):
    r"""$\eta_e = \eta_0\,\gamma^{\lfloor e / s \rfloor}$: times ``gamma`` every ``step_size`` epochs.

    :param optimizer: the optimizer whose learning rates (every parameter group's) are scheduled.
    :param step_size: the period $s \ge 1$, in epochs.
    :param gamma: the factor $\gamma$.
    :param last_epoch: the index of the last epoch, to resume a schedule (-1: start afresh).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = _check_count(step_size, "step_size", 1)
        self.gamma = check_real(gamma, "gamma", min_value=0.0)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(_Schedule):
    r"""$\eta_e = \eta_0\,\gamma^{k(e)}$, $k(e)$ = the number of milestones $\le e$.

    :param optimizer: the optimizer whose learning rates (every parameter group's) are scheduled.
    :param milestones: the epochs at which the rate is multiplied by ``gamma`` (twice if listed twice).
    :param gamma: the factor $\gamma$.
    :param last_epoch: the index of the last epoch, to resume a schedule (-1: start afresh).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, milestones: Iterable[int],
                 gamma: float = 0.1, last_epoch: int = -1) -> None:
        # a Counter, as in torch: a milestone listed twice multiplies by gamma twice
        self.milestones = Counter(_check_count(m, "each milestone", 0) for m in milestones)
        self.gamma = check_real(gamma, "gamma", min_value=0.0)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect_right(sorted(self.milestones.elements()), epoch)


class ExponentialLR(_Schedule):
    r"""$\eta_e = \eta_0\,\gamma^{e}$: multiply by ``gamma`` every epoch.

    :param optimizer: the optimizer whose learning rates (every parameter group's) are scheduled.
    :param gamma: the factor $\gamma$.
    :param last_epoch: the index of the last epoch, to resume a schedule (-1: start afresh).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_real(gamma, "gamma", min_value=0.0)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(_Schedule):
    r"""$\eta_e = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\,(1 + \cos(\pi e / T_{\max}))$.

    :param optimizer: the optimizer whose learning rates (every parameter group's) are scheduled.
    :param T_max: the half period $T_{\max} \ge 1$, in epochs: the rate reaches $\eta_{\min}$ there.
    :param eta_min: the lowest rate $\eta_{\min} \ge 0$.
    :param last_epoch: the index of the last epoch, to resume a schedule (-1: start afresh).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = _check_count(T_max, "T_max", 1)
        self.eta_min = check_real(eta_min, "eta_min", min_value=0.0)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return self.eta_min + (base_lr - self.eta_min) * cosine


class LinearLR(_Schedule):
    r"""Warm-up: $\eta_e = \eta_0\,(f_s + (f_e - f_s)\,\min(e, n)/n)$, a straight line from
    ``start_factor`` to ``end_factor`` over ``total_iters`` epochs, then constant.

    :param optimizer: the optimizer whose learning rates (every parameter group's) are scheduled.
    :param start_factor: $f_s \in (0, 1]$, the first epoch's fraction of the base rate.
    :param end_factor: $f_e \in [0, 1]$, the fraction reached after ``total_iters`` epochs.
    :param total_iters: $n \ge 1$, the length of the ramp in epochs.
    :param last_epoch: the index of the last epoch, to resume a schedule (-1: start afresh).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        self.start_factor = check_real(start_factor, "start_factor", min_value=0.0, allow_min=False,
                                       max_value=1.0)
        self.end_factor = check_real(end_factor, "end_factor", min_value=0.0, max_value=1.0)
        self.total_iters = _check_count(total_iters, "total_iters", 1)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` once a metric stops improving for ``patience`` epochs.

    ``step(metric)`` takes the epoch's validation metric. An epoch improves on the best so far if
    the metric beats it by more than ``threshold`` (relative, or absolute with
    ``threshold_mode="abs"``); after ``patience`` epochs without improvement the rate is reduced
    (never below ``min_lr``) and ``cooldown`` epochs pass before counting again.

    As torch's, it keeps torch's ``LRScheduler`` base for ``get_last_lr``/``state_dict`` but not
    its ``__init__``: nothing is set until the first metric arrives.

    :param optimizer: the optimizer whose learning rates (every parameter group's) are scheduled.
    :param mode: ``"min"`` (a lower metric is better, e.g. a loss) or ``"max"`` (e.g. accuracy).
    :param factor: the factor in $[0, 1)$ applied to the rate on a plateau.
    :param patience: how many epochs without improvement are tolerated.
    :param threshold: how much better (>= 0) a metric must be to count as an improvement.
    :param threshold_mode: ``"rel"`` (``threshold`` is a fraction of the best) or ``"abs"``.
    :param cooldown: epochs to wait after a reduction before counting bad epochs again.
    :param min_lr: the lowest rate, one for all parameter groups or a list with one per group.
    :param eps: a reduction smaller than this is skipped.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        self.optimizer = check_optimizer(optimizer)
        self.mode = check_choice(mode, "mode", ("min", "max"))
        self.factor = check_real(factor, "factor", min_value=0.0, max_value=1.0, allow_max=False)
        self.patience = _check_count(patience, "patience", 0)
        self.threshold = check_real(threshold, "threshold", min_value=0.0)
        self.threshold_mode = check_choice(threshold_mode, "threshold_mode", ("rel", "abs"))
        self.cooldown = _check_count(cooldown, "cooldown", 0)
        groups = optimizer.param_groups
        # state_dict keys as torch's: default_min_lr is None when one min_lr per group was given
        self.default_min_lr = None if isinstance(min_lr, list | tuple) else min_lr
        self.min_lrs = list(min_lr) if isinstance(min_lr, list | tuple) else [min_lr] * len(groups)
        if len(self.min_lrs) != len(groups):
            raise ValueError(f"min_lr must have one value per param group ({len(groups)}), "
                             f"got {len(self.min_lrs)}")
        self.eps = check_real(eps, "eps", min_value=0.0)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]

    def is_better(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than the threshold.

        :param value: a metric value.
        """
        sign = 1.0 if self.mode == "max" else -1.0
        if self.threshold_mode == "rel":
            bar = self.best * (1.0 + sign * self.threshold)
        else:
            bar = self.best + sign * self.threshold
        return value > bar if self.mode == "max" else value < bar

    def step(self, metrics: float, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric and reduce the learning rate if it has plateaued.

        :param metrics: the epoch's validation metric (a number or a 0-d tensor).
        :param epoch: sets the epoch counter (deprecated in torch, accepted for the same signature).
        """
        value = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            if len(self.min_lrs) != len(self.optimizer.param_groups):  # add_param_group since
                if self.default_min_lr is None:
                    raise ValueError(f"min_lrs has {len(self.min_lrs)} values but the optimizer "
                                     f"now has {len(self.optimizer.param_groups)} param groups")
                self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
