"""Tools to find out why a network does not train: the checks of CS231n's "babysitting the
learning process", as functions.

Taught in the section "Debugging a network" of the chapter "Optimizers and learning-rate
schedules" (``book/optimizers/debugging.ipynb``). Each returns plain numbers for the reader to
print and compare with what a healthy network gives:

- :func:`update_ratios`: how far one optimizer step moves each parameter, relative to its size
  (about $10^{-3}$ for a well-chosen learning rate);
- :func:`lr_range_test`: the loss while the learning rate grows geometrically, step after step;
- :func:`layer_outputs`: each layer's output and the gradient of the loss with respect to it,
  for the histograms that show saturated or dead units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from nnbasics._checks import check_int, check_module, check_optimizer, check_real

__all__ = ["LRRangeTest", "layer_outputs", "lr_range_test", "update_ratios"]


def update_ratios(model: nn.Module, step: Callable[[], object]) -> dict[str, float]:
    r"""Run ``step()`` (one optimizer step) and return, for every parameter of ``model``, the
    size of its update relative to its size before the step:
    $\lVert w_\text{after} - w_\text{before}\rVert / \lVert w_\text{before}\rVert$ (Frobenius norms;
    ``inf`` for a parameter that was all zeros and moved, 0.0 if it did not move).

    :param model: the network whose parameters ``step`` updates.
    :param step: a function of no arguments doing the whole step (zero_grad, forward, backward,
        ``optimizer.step()``).
    """
    check_module(model)
    if not callable(step):
        raise TypeError("step must be callable: a function of no arguments doing one optimizer step")
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    step()
    ratios = {}
    for name, p in model.named_parameters():
        moved = (p.detach() - before[name]).norm().item()
        size = before[name].norm().item()
        ratios[name] = moved / size if size > 0 else (math.inf if moved > 0 else 0.0)
    return ratios


@dataclass
class LRRangeTest:
    """What :func:`lr_range_test` recorded: the learning rate and the training loss of each step.

    :param lrs: the learning rate of every step taken, growing geometrically.
    :param losses: the loss computed at that step (before its update).
    """

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)

    @property
    def lr_at_min(self) -> float:
        """The learning rate of the step with the lowest loss."""
        if not self.losses:
            raise ValueError("the range test recorded no step")
        return self.lrs[min(range(len(self.losses)), key=self.losses.__getitem__)]


def lr_range_test(model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer,
                  train_loader: Iterable, start_lr: float = 1e-5, end_lr: float = 10.0,
                  num_steps: int = 100, stop_factor: float = 4.0) -> LRRangeTest:
    r"""Train ``model`` for up to ``num_steps`` steps with the learning rate growing from
    ``start_lr`` to ``end_lr`` geometrically, $\alpha_k = \alpha_0\,(\alpha_\text{end}/\alpha_0)^{k/(K-1)}$,
    and record the loss of each step: a variant of Smith's range test, geometric and loss-based as in
    fastai (Smith raises the rate linearly over a few epochs and watches the accuracy). Batches come
    from ``train_loader`` in turn, starting over when it runs out. The test stops early once the loss
    is not finite or exceeds ``stop_factor`` times the lowest loss so far. It changes ``model`` and
    ``optimizer``: pass copies.

    :param model: the network (it is trained).
    :param loss_fn: ``loss_fn(output, targets)`` returns the batch's mean loss.
    :param optimizer: a ``torch.optim``-style optimizer over ``model``'s parameters; every
        parameter group gets the step's learning rate.
    :param train_loader: an iterable of ``(inputs, targets)`` batches, e.g. ``[(X, y)]`` for full batch.
    :param start_lr: the first learning rate, $> 0$.
    :param end_lr: the last learning rate, $>$ ``start_lr``.
    :param num_steps: the number of steps $K$ (>= 2).
    :param stop_factor: stop when the loss exceeds this multiple of the lowest loss so far (> 1).
    """
    check_module(model)
    if not callable(loss_fn):
        raise TypeError("loss_fn must be callable: loss_fn(output, targets) -> scalar tensor")
    check_optimizer(optimizer)
    if not isinstance(train_loader, Iterable):
        raise TypeError("train_loader must be an iterable of (inputs, targets) batches, e.g. [(X, y)]")
    start_lr = check_real(start_lr, "start_lr", min_value=0.0, allow_min=False)
    end_lr = check_real(end_lr, "end_lr", min_value=start_lr, allow_min=False)
    num_steps = check_int(num_steps, "num_steps", min_value=2)
    stop_factor = check_real(stop_factor, "stop_factor", min_value=1.0, allow_min=False)
    result, batches = LRRangeTest(), iter(train_loader)
    model.train()
    for k in range(num_steps):
        lr = start_lr * (end_lr / start_lr) ** (k / (num_steps - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        try:
            inputs, targets = next(batches)
        except StopIteration:
            batches = iter(train_loader)
            try:
                inputs, targets = next(batches)
            except StopIteration:
                raise ValueError("train_loader is empty: it yields no batch") from None
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        result.lrs.append(lr)
        result.losses.append(loss.item())
        if not math.isfinite(loss.item()) or loss.item() > stop_factor * min(result.losses):
            break
        loss.backward()
        optimizer.step()
    return result


def layer_outputs(model: nn.Module, loss_fn: Callable, inputs: Tensor, targets: Tensor,
                  modules: tuple[type[nn.Module], ...] = (nn.Module,)) -> dict[str, tuple[Tensor, Tensor]]:
    r"""One forward and backward pass of ``loss_fn(model(inputs), targets)``; for every
    submodule of ``model`` that is an instance of ``modules`` (and has no children), its output
    $h$ and the gradient $\partial L/\partial h$, detached: ``{name: (output, gradient)}`` in the
    order the forward pass ran them. Shapes: each output's own, ``(N, ...) -> (N, ...)``, and
    its gradient the same. The parameters' ``.grad`` are left as the backward pass set them.

    :param model: the network.
    :param loss_fn: ``loss_fn(output, targets)`` returns a scalar loss.
    :param inputs: one batch of inputs.
    :param targets: their targets.
    :param modules: the module types to record (e.g. ``(nnbasics.activations.Tanh,)``); all by default.
    """
    check_module(model)
    if not callable(loss_fn):
        raise TypeError("loss_fn must be callable: loss_fn(output, targets) -> scalar tensor")
    if not isinstance(modules, tuple) or not all(isinstance(m, type) and issubclass(m, nn.Module)
                                                  for m in modules):
        raise TypeError("modules must be a tuple of nn.Module subclasses, e.g. (nnbasics.activations.ReLU,)")
    outputs: dict[str, Tensor] = {}

    def record(name: str):
        def hook(module: nn.Module, args: tuple, output: Tensor) -> None:
            output.retain_grad()  # keep dL/dh of this intermediate tensor after backward
            outputs[name] = output
        return hook

    leaves = [(name, m) for name, m in model.named_modules()
              if not list(m.children()) and isinstance(m, modules)]
    handles = [m.register_forward_hook(record(name)) for name, m in leaves]
    try:
        loss = loss_fn(model(inputs), targets)
    finally:
        for handle in handles:
            handle.remove()
    if not outputs:
        raise ValueError("no submodule of model is an instance of modules: nothing was recorded")
    loss.backward()
    return {name: (h.detach(), h.grad.detach() if h.grad is not None else torch.zeros_like(h))
            for name, h in outputs.items()}
