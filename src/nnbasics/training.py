"""The training loop every chapter uses: ``fit``, ``train_step``, ``evaluate`` and ``accuracy``.

Taught in the chapter "Gradient descent and backpropagation". One readable loop: for each
epoch, for each mini-batch, one ``train_step`` (forward, loss, backward, optionally gradient
clipping, optimizer step); then the validation pass, the learning-rate schedule, and the
callbacks (early stopping is one). It works with any ``torch.nn.Module``, loss function,
``torch.optim``-style optimizer and ``DataLoader``; a full-batch run is ``fit`` over the one
batch ``[(X, y)]``, one step per epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from nnbasics._checks import check_module, check_optimizer, check_real
from nnbasics.optim.lr_scheduler import ReduceLROnPlateau
from nnbasics.utils import evaluating, progress_bar

__all__ = ["History", "accuracy", "evaluate", "fit", "train_step"]

PLATEAU = (ReduceLROnPlateau, torch.optim.lr_scheduler.ReduceLROnPlateau)  # step(metric) schedulers

Metric = Callable[[Tensor, Tensor], float]


def accuracy(output: Tensor, target: Tensor) -> float:
    """The fraction of rows of ``output`` whose largest entry is at ``target``, a Python float.

    Shapes: ``(N, C), (N,) -> ()``.

    :param output: the scores, ``(N, C)``.
    :param target: the class indices, ``(N,)``.
    """
    if not isinstance(output, Tensor) or not isinstance(target, Tensor):
        raise TypeError("output and target must be tensors")
    if output.dim() != 2 or target.shape != output.shape[:1]:
        raise ValueError(f"accuracy expects scores [N, C] as output and class indices [N] as target, got "
                         f"output {tuple(output.shape)} and target {tuple(target.shape)}")
    return (output.argmax(dim=1) == target).float().mean().item()


@dataclass
class History:
    """What :func:`fit` recorded: one value per epoch (``epochs``), and the loss of every step.

    :param epochs: each logged name (``"loss"``, ``"val_loss"``, metrics) to its per-epoch values.
    :param step_loss: the training loss of every optimizer step.
    :param lr: the learning rate of each epoch (the first parameter group's).
    :param grad_norm: the gradients' total norm before clipping, at every optimizer step, when
        :func:`fit` clips them (``max_grad_norm``); empty otherwise.
    """

    epochs: dict[str, list[float]] = field(default_factory=dict)
    step_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[float]:
        return self.epochs[key]

    def log(self, logs: Mapping[str, float]) -> None:
        for key, value in logs.items():
            self.epochs.setdefault(key, []).append(value)

    def __len__(self) -> int:
        return len(self.epochs.get("loss", []))


def _check_loader(loader: object, name: str) -> None:
    if not isinstance(loader, Iterable):
        raise TypeError(f"{name} must be an iterable of (inputs, targets) batches, e.g. a DataLoader")
    try:
        empty = len(loader) == 0  # type: ignore[arg-type]
    except TypeError:
        empty = False
    if empty:
        raise ValueError(f"{name} is empty: it yields no batch")


def _check_step(model: object, loss_fn: object, optimizer: object, max_grad_norm: object) -> None:
    check_module(model)
    if not callable(loss_fn):
        raise TypeError("loss_fn must be callable: loss_fn(output, targets) -> scalar tensor")
    check_optimizer(optimizer)
    if max_grad_norm is not None:
        check_real(max_grad_norm, "max_grad_norm", min_value=0.0)


def _detached(output: object) -> object:
    """``output`` with every tensor in it (nested in tuples and lists) detached from the graph."""
    if isinstance(output, Tensor):
        return output.detach()
    if isinstance(output, tuple | list):
        items = [_detached(item) for item in output]
        return type(output)(*items) if hasattr(output, "_fields") else type(output)(items)  # namedtuple
    return output


def train_step(model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer, inputs: Tensor,
               targets: Tensor, max_grad_norm: float | None = None) -> tuple[float, Tensor, float | None]:
    """One optimizer step on one batch: forward, ``loss_fn(output, targets)``, backward, then, with
    ``max_grad_norm``, :func:`nnbasics.recurrent.clip_grad_norm_` (every gradient rescaled by one
    factor so that their total 2-norm is at most ``max_grad_norm``), then ``optimizer.step()``.

    :func:`fit` takes one for every batch; ``train_step(model, loss_fn, optimizer, X, y)`` is one
    full-batch step. Returns ``(loss, output, grad_norm)``: the batch's loss before the step, a
    float; the model's output, detached (every tensor of it, when it is a tuple such as
    ``(logits, state)``); the gradients' total norm before clipping, a float (None
    without ``max_grad_norm``). Shapes: ``(N, *), (N, *) -> (), (N, *)``.

    :param model: the network to train.
    :param loss_fn: ``loss_fn(output, targets)`` returns the batch's mean loss, a scalar tensor.
    :param optimizer: a ``torch.optim``-style optimizer over ``model``'s parameters.
    :param inputs: the batch's inputs, ``model(inputs)`` its output.
    :param targets: the batch's targets.
    :param max_grad_norm: clip the gradients to this total norm (>= 0) before the step, or None.
    """
    _check_step(model, loss_fn, optimizer, max_grad_norm)
    optimizer.zero_grad()
    output = model(inputs)
    loss = loss_fn(output, targets)
    loss.backward()
    grad_norm = None
    if max_grad_norm is not None:
        # Gradient clipping is taught in the recurrent chapter, whose module imports this one.
        from nnbasics.recurrent import clip_grad_norm_

        grad_norm = clip_grad_norm_(model.parameters(), max_grad_norm).item()  # the norm before clipping
    optimizer.step()
    return loss.item(), _detached(output), grad_norm


def evaluate(model: nn.Module, loss_fn: Callable, loader: Iterable,
             metrics: Mapping[str, Metric] | None = None) -> dict[str, float]:
    """The mean loss (and metrics) of ``model`` over ``loader``, in eval mode, without gradients.

    Batches are weighted by their size, so the result is the mean over the examples.

    :param model: the network.
    :param loss_fn: ``loss_fn(output, targets)`` returns the batch's mean loss.
    :param loader: an iterable of ``(inputs, targets)`` batches, e.g. a ``DataLoader``.
    :param metrics: more names to compute, each ``metric(output, targets) -> float`` (e.g. :func:`accuracy`).
    """
    _check_loader(loader, "loader")
    metrics = metrics or {}
    totals, count = {"loss": 0.0, **{name: 0.0 for name in metrics}}, 0
    with evaluating(model):
        for inputs, targets in loader:
            output = model(inputs)
            n = len(targets)
            totals["loss"] += loss_fn(output, targets).item() * n
            for name, metric in metrics.items():
                totals[name] += metric(output, targets) * n
            count += n
    if count == 0:
        raise ValueError("loader is empty: it yielded no batch")
    return {name: total / count for name, total in totals.items()}


def fit(model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer, train_loader: Iterable,
        epochs: int, val_loader: Iterable | None = None, scheduler: object | None = None,
        callbacks: Sequence[object] = (), metrics: Mapping[str, Metric] | None = None,
        progress: bool = True, max_grad_norm: float | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs and return its :class:`History`.

    Each epoch: every batch of ``train_loader`` takes one :func:`train_step` (forward,
    ``loss_fn(output, targets)``, backward, the gradients clipped to ``max_grad_norm`` if it is
    given, ``optimizer.step()``); then ``evaluate`` on ``val_loader`` (keys prefixed ``val_``);
    then ``scheduler.step()`` (``ReduceLROnPlateau``-style schedulers get the validation loss, or
    the training loss without validation data); then each callback's
    ``on_epoch_end(epoch, logs, model)``, and training stops if one returns True. With one batch,
    ``train_loader=[(X, y)]``, each epoch is one full-batch step.

    The progress bar (``tqdm.auto``) shows one step per epoch; ``progress=False`` or the
    environment variable ``TQDM_DISABLE=1`` turns it off.

    :param model: the network to train.
    :param loss_fn: ``loss_fn(output, targets)`` returns the batch's mean loss, a scalar tensor.
    :param optimizer: a ``torch.optim``-style optimizer over ``model``'s parameters.
    :param train_loader: an iterable of ``(inputs, targets)`` batches, e.g. a ``DataLoader``.
    :param epochs: the number of passes over ``train_loader`` (>= 1).
    :param val_loader: validation batches, evaluated after each epoch, or None.
    :param scheduler: a learning-rate scheduler stepped after each epoch, or None.
    :param callbacks: objects with ``on_epoch_end(epoch, logs, model)``; True from one stops training.
    :param metrics: more names to record, each ``metric(output, targets) -> float``.
    :param progress: show the progress bar.
    :param max_grad_norm: clip the gradients to this total norm (>= 0) at every step, and record
        their norm before clipping in ``History.grad_norm``; None: no clipping.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    _check_step(model, loss_fn, optimizer, max_grad_norm)
    _check_loader(train_loader, "train_loader")
    if val_loader is not None:
        _check_loader(val_loader, "val_loader")
    metrics = metrics or {}
    history = History()
    bar = progress_bar(range(epochs), show=progress, desc="epochs", leave=False)
    for epoch in bar:
        model.train()
        totals, count = {"loss": 0.0, **{name: 0.0 for name in metrics}}, 0
        for inputs, targets in train_loader:
            loss, output, grad_norm = train_step(model, loss_fn, optimizer, inputs, targets, max_grad_norm)
            n = len(targets)
            history.step_loss.append(loss)
            if grad_norm is not None:
                history.grad_norm.append(grad_norm)
            totals["loss"] += loss * n
            for name, metric in metrics.items():
                totals[name] += metric(output, targets) * n
            count += n
        if count == 0:
            raise ValueError("train_loader is empty: it yielded no batch")
        logs = {name: total / count for name, total in totals.items()}
        if val_loader is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val_loader, metrics).items()})
        history.lr.append(optimizer.param_groups[0]["lr"])
        history.log(logs)
        if scheduler is not None:
            if isinstance(scheduler, PLATEAU):
                scheduler.step(logs.get("val_loss", logs["loss"]))
            else:
                scheduler.step()
        bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
        if any(callback.on_epoch_end(epoch, logs, model) for callback in callbacks):
            break
    bar.close()
    return history
