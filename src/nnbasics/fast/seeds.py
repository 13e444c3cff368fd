r"""Every seed of one small model trained at once: the MNIST-1D page's MLP, CNN and GRU.

The capstone page trains each of its models from three seeds (:func:`nnbasics.capstone.train_seeds`):
thousands of Adam steps each, on matrices so small that a step's time goes more to calling the
operations than to their arithmetic. :func:`train_together` trains the $M$ seeds of the MLP,
the CNN or the GRU as one batched network: member $m$'s layers run in the same call as the
others' (the linear layers through :class:`~nnbasics.fast.ensemble.StackedLinearFunction`; the
convolutions as one convolution with $M$ groups; the GRU through
:class:`~nnbasics.fast.recurrent.FusedRecurrentFunction`, with two directions per member), and

- each member is its own model, built after ``torch.manual_seed(seed)`` as a lone run builds it;
- the loss is the sum of the members' own cross-entropies, so each member's parameters get the
  gradient of its own loss (the derivative of the sum with respect to each term is 1);
- one :class:`nnbasics.optim.Adam` updates every parameter from its own gradient and its own state,
  as each member's own Adam would.

So each member is the model a lone :func:`nnbasics.capstone.train_steps` run trains:
``tests/test_fast_seeds.py`` checks the step losses and accuracies equal, number for number.
:func:`train_seeds` is :func:`nnbasics.capstone.train_seeds` with the seeds of every experiment
that :func:`stacked_logits` takes trained together; other models (logistic regression, a GRU
with the taught loop) train one seed at a time, as there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from nnbasics import capstone, losses, optim
from nnbasics._checks import check_int, check_tensor
from nnbasics.activations import relu
from nnbasics.capstone import MNIST1DCNN, MNIST1DGRU, MNIST1DMLP, Split, TrainResult
from nnbasics.conv import conv1d
from nnbasics.fast import recurrent as fast_recurrent
from nnbasics.fast.ensemble import StackedLinearFunction

__all__ = ["stacked_logits", "train_seeds", "train_together"]


def _stacked(models: Sequence[nn.Module], layer: str) -> tuple[Tensor, Tensor]:
    """The members' ``layer`` weights and biases, stacked: ``(M, out, in)`` and ``(M, out)``."""
    return (torch.stack([getattr(m, layer).weight for m in models]),
            torch.stack([getattr(m, layer).bias for m in models]))


def _can_stack(model: nn.Module) -> bool:
    return type(model) in (MNIST1DMLP, MNIST1DCNN) or (type(model) is MNIST1DGRU
                                                       and type(model.gru) is fast_recurrent.GRU)


def stacked_logits(models: Sequence[nn.Module], x: Tensor) -> Tensor:
    r"""Every member's logits for the same inputs, in one batched computation: ``(N, T) -> (M, N, C)``
    ($T$ the signal's length, $C$ the classes).

    ``result[m]`` equals ``models[m](x)`` number for number.

    :param models: $M$ :class:`~nnbasics.capstone.MNIST1DMLP` of one width, $M$
        :class:`~nnbasics.capstone.MNIST1DCNN` of one width, or $M$
        :class:`~nnbasics.capstone.MNIST1DGRU` built with the fused GRU
        (``rnn=nnbasics.fast.recurrent.GRU``) and one shape.
    :param x: the batch of signals, ``(N, time_steps)``.
    """
    if not models or not all(_can_stack(m) and type(m) is type(models[0]) for m in models):
        kinds = [type(m).__name__ for m in models]
        raise TypeError("models must be a non-empty sequence of MNIST1DMLP, of MNIST1DCNN, or of "
                        f"MNIST1DGRU with rnn=nnbasics.fast.recurrent.GRU, all of one kind; got {kinds}")
    x = check_tensor(x, "x")
    if isinstance(models[0], MNIST1DMLP):  # h1 = ReLU(W1 x), h2 = h1 + ReLU(W2 h1), out = W3 h2, per member
        h = relu(StackedLinearFunction.apply(x.expand(len(models), *x.shape), *_stacked(models, "linear1")))
        h = h + relu(StackedLinearFunction.apply(h, *_stacked(models, "linear2")))
        return StackedLinearFunction.apply(h, *_stacked(models, "linear3"))
    if isinstance(models[0], MNIST1DCNN):  # member m's channels are group m of each convolution
        h = x.unsqueeze(1).expand(-1, len(models), -1)  # (N, M, 40): one input channel per member
        for name in ("conv1", "conv2", "conv3"):
            conv = getattr(models[0], name)
            weight = torch.cat([getattr(m, name).weight for m in models])  # (M * out, in, k)
            bias = torch.cat([getattr(m, name).bias for m in models])
            h = relu(conv1d(h, weight, bias, stride=conv.stride, padding=conv.padding, groups=len(models)))
        h = h.view(x.shape[0], len(models), -1).transpose(0, 1)  # (M, N, channels * 5), as each flattens
        return StackedLinearFunction.apply(h, *_stacked(models, "linear"))
    # GRU: member m's two directions are directions 2m and 2m + 1 of one fused layer
    seq = x.T.unsqueeze(-1)  # (N, T) -> (T, N, 1)
    weights = [m.gru._weights(0, suffix) for m in models for suffix in m.gru.suffixes]
    w_ih, w_hh, b_ih, b_hh = (torch.stack([w[k] for w in weights]) for k in range(4))
    h0 = x.new_zeros(len(weights), x.shape[0], models[0].gru.hidden_size)
    out, _, _ = fast_recurrent.FusedRecurrentFunction.apply(
        "gru", torch.stack([seq, seq.flip(0)] * len(models)), h0, None, w_ih, w_hh, b_ih, b_hh)
    features = [torch.cat([out[2 * i], out[2 * i + 1].flip(0)], dim=2).transpose(0, 1).flatten(1)
                for i in range(len(models))]  # each (N, T * 2H), as MNIST1DGRU flattens its output
    return torch.stack([m.linear(f) for m, f in zip(models, features, strict=True)])


def train_together(make: Callable[[], nn.Module], data: Split, steps: int, seeds: Sequence[int],
                   lr: float = 1e-2, batch_size: int = 100) -> list[TrainResult]:
    """One model per seed, trained at once: what :func:`nnbasics.capstone.train_steps` gives for
    each seed alone (same batches, Adam at ``lr``), one :class:`~nnbasics.capstone.TrainResult`
    per seed. Runs on one thread, as the page's worker processes do (torch's setting is restored
    after).

    :param make: builds one model that :func:`stacked_logits` takes (e.g. ``MNIST1DMLP``).
    :param data: the data set.
    :param steps: the number of optimizer steps.
    :param seeds: one member per seed, built after ``torch.manual_seed(seed)``.
    :param lr: Adam's learning rate.
    :param batch_size: the number of examples per step.
    """
    check_int(steps, "steps")
    if (isinstance(batch_size, bool) or not isinstance(batch_size, int)
            or not 1 <= batch_size <= len(data.X_train)):  # as capstone.train_steps checks it
        raise ValueError(f"batch_size must be an int in [1, {len(data.X_train)}], got {batch_size!r}")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise TypeError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as capstone.train_seeds' workers
    try:
        models = []
        for seed in seeds:
            torch.manual_seed(check_int(seed, "seeds", 0))
            models.append(make().train())
        opt = optim.Adam([p for m in models for p in m.parameters()], lr=lr)
        n, step_loss = len(data.X_train), [[] for _ in models]
        for step in range(steps):
            start = (step * batch_size) % n
            X, y = data.X_train[start:start + batch_size], data.y_train[start:start + batch_size]
            logits = stacked_logits(models, X)
            member_loss = [losses.cross_entropy(logits[m], y) for m in range(len(models))]
            opt.zero_grad()
            sum(member_loss[1:], member_loss[0]).backward()  # member m's parameters: its own loss's gradient
            opt.step()
            for history, value in zip(step_loss, torch.stack(member_loss).tolist(), strict=True):
                history.append(value)
        return [TrainResult(capstone._accuracy(m, data.X_test, data.y_test),
                            capstone._accuracy(m, data.X_train, data.y_train), history)
                for m, history in zip(models, step_loss, strict=True)]
    finally:
        torch.set_num_threads(threads)


def train_seeds(experiments: dict[str, tuple[Callable[[], nn.Module], int]], data: Split,
                seeds: Sequence[int] = (0, 1, 2), workers: int = 2) -> dict[str, list[TrainResult]]:
    """:func:`nnbasics.capstone.train_seeds` (same arguments, same results), with the seeds of
    every experiment that :func:`stacked_logits` takes trained together (:func:`train_together`,
    one job); every other experiment runs one job per seed, as there. Jobs start in the order
    given: list the slowest experiment first.

    :param experiments: ``name: (make_model, steps)``.
    :param data: the data set every run trains and tests on.
    :param seeds: one run of every experiment per seed.
    :param workers: how many jobs run at once (one process each).
    """
    jobs = {}
    for name, (make, steps) in experiments.items():
        with torch.random.fork_rng():  # build one to see its kind; the caller's random stream stays
            together = _can_stack(make())
        if together:
            jobs[name, None] = (train_together, (make, data, steps, tuple(seeds)))
        else:
            jobs.update({(name, seed): (capstone._train_seed, (make, data, steps, seed)) for seed in seeds})
    done = capstone.run_parallel(jobs, workers)
    return {name: done[name, None] if (name, None) in done else [done[name, seed] for seed in seeds]
            for name in experiments}
