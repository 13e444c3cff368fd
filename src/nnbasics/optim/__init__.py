"""Optimizers written from their update rules, as subclasses of :class:`torch.optim.Optimizer`.

Taught in the chapter "Optimizers and learning-rate schedules". Each class has the name,
constructor arguments, defaults and ``state`` keys of its :mod:`torch.optim` twin, so it plugs
into any torch training loop and ``state_dict()``/``load_state_dict()`` work; the update itself
is written out below, one parameter at a time, from the formula in its docstring. Schedules are
in :mod:`nnbasics.optim.lr_scheduler`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor

from nnbasics._checks import check_real

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "RMSprop", "ewma"]


def ewma(values: Iterable[float] | Tensor, beta: float, bias_correction: bool = False) -> Tensor:
    r"""Exponentially weighted moving average of a sequence.

    $v_0 = 0,\quad v_t = \beta\,v_{t-1} + (1 - \beta)\,\theta_t$, and with bias correction
    $\hat v_t = v_t / (1 - \beta^t)$, which removes the pull towards the starting value 0.
    Returns a float64 tensor with one value per input value: ``(T,) -> (T,)``.

    :param values: the sequence $\theta_1, \dots, \theta_T$ (flattened if a tensor).
    :param beta: the decay $\beta \in [0, 1)$.
    :param bias_correction: return $\hat v_t$ instead of $v_t$.
    """
    b = check_real(beta, "beta", min_value=0.0, max_value=1.0, allow_max=False)
    theta = torch.as_tensor(values, dtype=torch.float64).flatten()
    out = torch.empty_like(theta)
    v = 0.0
    for t, value in enumerate(theta.tolist(), start=1):
        v = b * v + (1.0 - b) * value
        out[t - 1] = v / (1.0 - b**t) if bias_correction else v
    return out


class _Optimizer(torch.optim.Optimizer):
    """Shared plumbing: argument checks, the closure, and a loop over parameters with a grad."""

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        check_real(defaults["lr"], "lr", min_value=0.0)
        if "weight_decay" in defaults:
            check_real(defaults["weight_decay"], "weight_decay", min_value=0.0)
        if "eps" in defaults:
            check_real(defaults["eps"], "eps", min_value=0.0)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """Update every parameter that has a gradient; ``closure`` re-evaluates the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise TypeError(f"{type(self).__name__} does not support sparse gradients")
                grad = -p.grad if group.get("maximize", False) else p.grad
                state = self.state[p] if self._has_state(group) else {}
                if not state:
                    self._init_state(p, state, group)
                if "step" in state:  # torch's keys: SGD keeps no step count
                    state["step"] += 1
                self._update(p, grad, state, group)
        return loss

    def _has_state(self, group: dict) -> bool:
        return True  # plain SGD (no momentum) keeps no state, as in torch

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError  # every optimizer below defines its own

    def _update(self, p: Tensor, grad: Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError


class SGD(_Optimizer):
    r"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay.

    With $g_t = \nabla L(\theta_{t-1}) + \lambda\,\theta_{t-1}$ and momentum $\mu$:
    $b_1 = g_1$, $b_t = \mu\,b_{t-1} + (1 - \tau)\,g_t$; the step direction is $b_t$, or
    $g_t + \mu\,b_t$ with Nesterov; $\theta_t = \theta_{t-1} - \eta \cdot$ direction.

    :param params: the parameters to optimize (an iterable of tensors, or of dicts: parameter groups).
    :param lr: the learning rate $\eta$.
    :param momentum: the momentum $\mu \ge 0$ (0: plain SGD).
    :param dampening: $\tau$, scales down the new gradient in the momentum buffer.
    :param weight_decay: the L2 coefficient $\lambda \ge 0$, added as $\lambda\theta$ to the gradient.
    :param nesterov: use Nesterov momentum (needs ``momentum`` > 0 and ``dampening`` = 0).
    :param maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        check_real(momentum, "momentum", min_value=0.0)
        check_real(dampening, "dampening")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0, "
                             f"got momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _has_state(self, group):
        return group["momentum"] != 0

    def _init_state(self, p, state, group):
        state["momentum_buffer"] = None

    def _update(self, p, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        mu = group["momentum"]
        if mu:
            buf = state["momentum_buffer"]
            if buf is None:
                buf = grad.clone()
            else:
                buf = mu * buf + (1.0 - group["dampening"]) * grad
            state["momentum_buffer"] = buf
            grad = grad + mu * buf if group["nesterov"] else buf
        p.sub_(group["lr"] * grad)


class Adagrad(_Optimizer):
    r"""AdaGrad: a per-parameter step size that shrinks with the sum of squared gradients.

    $s_t = s_{t-1} + g_t^2$, $\eta_t = \eta / (1 + (t - 1)\,\delta)$,
    $\theta_t = \theta_{t-1} - \eta_t\, g_t / (\sqrt{s_t} + \epsilon)$ ($\delta$ = ``lr_decay``).

    :param params: the parameters to optimize (an iterable of tensors, or of dicts: parameter groups).
    :param lr: the learning rate $\eta$.
    :param lr_decay: $\delta \ge 0$, shrinks the learning rate with the step count.
    :param weight_decay: the L2 coefficient $\lambda \ge 0$, added as $\lambda\theta$ to the gradient.
    :param initial_accumulator_value: the starting value $s_0 \ge 0$ of the sum.
    :param eps: $\epsilon$, keeps the division finite.
    :param maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *,
                 maximize: bool = False) -> None:
        check_real(lr_decay, "lr_decay", min_value=0.0)
        check_real(initial_accumulator_value, "initial_accumulator_value", min_value=0.0)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))

    def _init_state(self, p, state, group):
        state["step"] = torch.tensor(0.0)
        state["sum"] = torch.full_like(p, group["initial_accumulator_value"])

    def _update(self, p, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        lr = group["lr"] / (1.0 + (state["step"].item() - 1.0) * group["lr_decay"])
        state["sum"].add_(grad * grad)
        p.sub_(lr * grad / (state["sum"].sqrt() + group["eps"]))


class RMSprop(_Optimizer):
    r"""RMSprop: divide by a moving root mean square of the gradients.

    $v_t = \alpha\,v_{t-1} + (1 - \alpha)\,g_t^2$; centered subtracts the squared moving mean
    $\bar g_t^2$ from $v_t$; the step is $g_t / (\sqrt{v_t} + \epsilon)$, fed through momentum
    $b_t = \mu\,b_{t-1} + \text{step}$ when ``momentum`` > 0; $\theta_t = \theta_{t-1} - \eta\,b_t$.

    :param params: the parameters to optimize (an iterable of tensors, or of dicts: parameter groups).
    :param lr: the learning rate $\eta$.
    :param alpha: the decay $\alpha$ of the moving average of $g_t^2$.
    :param eps: $\epsilon$, keeps the division finite.
    :param weight_decay: the L2 coefficient $\lambda \ge 0$, added as $\lambda\theta$ to the gradient.
    :param momentum: the momentum $\mu \ge 0$ (0: none).
    :param centered: subtract the squared moving mean of the gradient (an estimate of its variance).
    :param maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        check_real(alpha, "alpha", min_value=0.0)
        check_real(momentum, "momentum", min_value=0.0)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _init_state(self, p, state, group):
        state["step"] = torch.tensor(0.0)
        state["square_avg"] = torch.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p)

    def _update(self, p, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        alpha = group["alpha"]
        square_avg = state["square_avg"].mul_(alpha).add_((1.0 - alpha) * grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"].mul_(alpha).add_((1.0 - alpha) * grad)
            avg = (square_avg - grad_avg * grad_avg).sqrt() + group["eps"]
        else:
            avg = square_avg.sqrt() + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"].mul_(group["momentum"]).add_(grad / avg)
            p.sub_(group["lr"] * buf)
        else:
            p.sub_(group["lr"] * grad / avg)


class Adadelta(_Optimizer):
    r"""Adadelta: step sizes from the ratio of two moving root mean squares.

    $v_t = \rho\,v_{t-1} + (1 - \rho)\,g_t^2$,
    $\Delta_t = \dfrac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\,g_t$,
    $u_t = \rho\,u_{t-1} + (1 - \rho)\,\Delta_t^2$, $\theta_t = \theta_{t-1} - \eta\,\Delta_t$.

    :param params: the parameters to optimize (an iterable of tensors, or of dicts: parameter groups).
    :param lr: the learning rate $\eta$ (1 in the original method).
    :param rho: the decay $\rho \in [0, 1]$ of both moving averages.
    :param eps: $\epsilon$, keeps the square roots away from 0.
    :param weight_decay: the L2 coefficient $\lambda \ge 0$, added as $\lambda\theta$ to the gradient.
    :param maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        check_real(rho, "rho", min_value=0.0, max_value=1.0)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _init_state(self, p, state, group):
        state["step"] = torch.tensor(0.0)
        state["square_avg"] = torch.zeros_like(p)
        state["acc_delta"] = torch.zeros_like(p)

    def _update(self, p, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        rho, eps = group["rho"], group["eps"]
        square_avg = state["square_avg"].mul_(rho).add_((1.0 - rho) * grad * grad)
        delta = (state["acc_delta"] + eps).sqrt() / (square_avg + eps).sqrt() * grad
        state["acc_delta"].mul_(rho).add_((1.0 - rho) * delta * delta)
        p.sub_(group["lr"] * delta)


class Adam(_Optimizer):
    r"""Adam: momentum on the gradient, RMSprop-style scaling, both with bias correction.

    $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$, $v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$,
    $\hat m_t = m_t / (1 - \beta_1^t)$, $\hat v_t = v_t / (1 - \beta_2^t)$ (AMSGrad uses the running
    maximum of $v_t$), $\theta_t = \theta_{t-1} - \eta\,\hat m_t / (\sqrt{\hat v_t} + \epsilon)$.
    ``weight_decay`` adds $\lambda\theta$ to the gradient (L2); :class:`AdamW` decouples it.

    :param params: the parameters to optimize (an iterable of tensors, or of dicts: parameter groups).
    :param lr: the learning rate $\eta$.
    :param betas: the decays $(\beta_1, \beta_2)$, each in $[0, 1)$.
    :param eps: $\epsilon$, keeps the division finite.
    :param weight_decay: the L2 coefficient $\lambda \ge 0$, added as $\lambda\theta$ to the gradient.
    :param amsgrad: divide by the running maximum of $v_t$ (AMSGrad).
    :param maximize: ascend the objective instead of descending it.
    :param decoupled_weight_decay: decay the weights directly, as :class:`AdamW` does.
    """

    _decoupled = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        if decoupled_weight_decay:  # torch's switch: Adam(..., decoupled_weight_decay=True) is AdamW
            self._decoupled = True
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            check_real(beta, f"betas[{i}]", min_value=0.0, max_value=1.0, allow_max=False)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _init_state(self, p, state, group):
        state["step"] = torch.tensor(0.0)
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p)

    def _update(self, p, grad, state, group):
        lr, wd = group["lr"], group["weight_decay"]
        if wd and self._decoupled:
            p.mul_(1.0 - lr * wd)  # AdamW: shrink the weights directly
        elif wd:
            grad = grad + wd * p  # Adam: L2 penalty folded into the gradient
        beta1, beta2 = group["betas"]
        t = state["step"].item()
        m = state["exp_avg"].mul_(beta1).add_((1.0 - beta1) * grad)
        v = state["exp_avg_sq"].mul_(beta2).add_((1.0 - beta2) * grad * grad)
        if group["amsgrad"]:
            v = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        correction1, correction2 = 1.0 - beta1**t, 1.0 - beta2**t
        denom = v.sqrt() / correction2**0.5 + group["eps"]
        p.sub_((lr / correction1) * m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay: $\theta \leftarrow \theta\,(1 - \eta\lambda)$ before the
    Adam step, instead of adding $\lambda\theta$ to the gradient (Loshchilov & Hutter, 2019).

    :param params: the parameters to optimize (an iterable of tensors, or of dicts: parameter groups).
    :param lr: the learning rate $\eta$.
    :param betas: the decays $(\beta_1, \beta_2)$, each in $[0, 1)$.
    :param eps: $\epsilon$, keeps the division finite.
    :param weight_decay: the decay rate $\lambda \ge 0$.
    :param amsgrad: divide by the running maximum of $v_t$ (AMSGrad).
    :param maximize: ascend the objective instead of descending it.
    """

    _decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
