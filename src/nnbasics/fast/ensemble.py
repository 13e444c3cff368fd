r"""Many copies of one small network, trained at once on the same data: one per setting of a grid.

The chapter "Regularization" trains its network once for each pair of L2 strength $\lambda$ and
dropout rate $p$ that its explorer offers. A full-batch step of that small network is a few dozen
tensor operations on small matrices; trained one after the other, the hundred trainings would not
fit in the page's minute (the chapter prints both times). :class:`Ensemble` stacks $M$ copies of
the network along a leading dimension, so each layer is one batched matrix product for all of
them, and :func:`train` runs every copy's steps together. Member $m$ has its own $\lambda_m$ and
$p_m$ and runs the taught modules' steps: the same start (a copy of the template's parameters),
the same loss (mean cross-entropy plus $\tfrac{\lambda_m}{2}\sum w^2$ over the weights, as
:func:`nnbasics.regularization.l2_penalty`), the same inverted dropout and the same optimizer
(:class:`nnbasics.optim.SGD`, whose update is elementwise, so it never mixes the members).
``tests/test_fast_ensemble.py`` checks the members against that clear version: number for number
without dropout; with dropout, the members draw their masks from one shared random stream, so only
a one-member ensemble draws the masks a lone run would. (PyTorch's own recipe is
``torch.func.stack_module_state`` with ``vmap``; the taught Functions have no vmap rule.) A
chapter that wants the speed imports these names and says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from nnbasics import optim
from nnbasics._checks import check_int, check_module, check_real, check_tensor
from nnbasics.activations import ReLU, relu
from nnbasics.layers import Linear
from nnbasics.losses import cross_entropy
from nnbasics.regularization import Dropout, DropoutFunction

__all__ = ["Ensemble", "StackedLinearFunction", "train"]


class StackedLinearFunction(torch.autograd.Function):
    r"""$M$ linear layers side by side, $Y_m = X_m W_m^\top + b_m$: ``(M, N, in) -> (M, N, out)``.

    :param x: the inputs $X_m$, ``(M, N, in_features)``.
    :param weight: the $W_m$, ``(M, out_features, in_features)``.
    :param bias: the $b_m$, ``(M, out_features)``.

    Backward, per member, with $G_m = \partial L/\partial Y_m$: $\partial L/\partial X_m = G_m W_m$,
    $\partial L/\partial W_m = G_m^\top X_m$, $\partial L/\partial b_m = \sum_i G_{m,i}$: the
    taught layer's backward (:class:`nnbasics.layers.LinearFunction`), batched over $m$.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        ctx.save_for_backward(x, weight)
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, weight = ctx.saved_tensors
        grad_x = torch.bmm(grad_out, weight) if ctx.needs_input_grad[0] else None
        grad_w = torch.bmm(grad_out.transpose(1, 2), x) if ctx.needs_input_grad[1] else None
        grad_b = grad_out.sum(dim=1) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


class Ensemble(nn.Module):
    r"""$M$ copies of a ``Linear``/``ReLU``/``Dropout`` network, member $m$ with dropout rate $p_m$.

    ``(N, in) -> (M, N, out)`` (every member sees the same inputs), or ``(M, N, in) -> (M, N, out)``.
    Every member starts from a copy of the template's parameters, as if the template had been
    built again with the same seed for each setting. Each ``Dropout`` of the template becomes a
    per-member dropout: member $m$ zeroes each unit with probability $p_m$ and scales the others
    by $1/(1 - p_m)$ (in ``train()`` mode only). ``weight[i]`` is ``(M, out, in)`` and ``bias[i]``
    ``(M, out)`` for the template's ``i``-th linear layer.

    :param template: an ``nn.Sequential`` of ``Linear`` (nnbasics' or torch's, with bias), ``ReLU``
        and ``Dropout`` modules (inverted dropout, elementwise: not ``Dropout2d``; the template's
        own rate is replaced by ``dropout``).
    :param dropout: the dropout rate $p_m \in [0, 1)$ of each member; its length is $M$.
    """

    def __init__(self, template: nn.Module, dropout: Sequence[float]) -> None:
        super().__init__()
        check_module(template, "template")
        if not isinstance(template, nn.Sequential) or len(template) == 0:
            raise TypeError(f"template must be a non-empty nn.Sequential, got {type(template).__name__}")
        if isinstance(dropout, (str, bytes)) or not isinstance(dropout, Sequence) or not dropout:
            raise TypeError(f"dropout must be a non-empty sequence of rates, one per member, got {dropout!r}")
        rates = [check_real(p, "dropout", min_value=0.0, max_value=1.0, allow_max=False) for p in dropout]
        self.members = len(rates)
        self.register_buffer("p", torch.tensor(rates, dtype=torch.float64).view(-1, 1, 1))
        self.kinds: list[str] = []
        self.weight, self.bias = nn.ParameterList(), nn.ParameterList()
        for i, layer in enumerate(template):
            if isinstance(layer, (Linear, nn.Linear)):
                if layer.bias is None:
                    raise ValueError(f"template[{i}] is a Linear without bias; Ensemble needs the bias")
                stack = (self.members, *layer.weight.shape)
                self.weight.append(nn.Parameter(layer.weight.detach().expand(stack).clone()))
                self.bias.append(nn.Parameter(layer.bias.detach().expand(stack[:2]).clone()))
                self.kinds.append("linear")
            elif isinstance(layer, (ReLU, nn.ReLU)):
                self.kinds.append("relu")
            elif type(layer) in (Dropout, nn.Dropout):
                if getattr(layer, "scaling", "inverted") != "inverted":
                    raise ValueError(f"template[{i}] must be an inverted Dropout, "
                                     f"got scaling={layer.scaling!r}")
                self.kinds.append("dropout")
            else:
                raise TypeError(f"template[{i}] must be Linear, ReLU or Dropout, got {type(layer).__name__}")

    def forward(self, input: Tensor) -> Tensor:
        x = check_tensor(input)
        if x.dim() == 2:
            x = x.expand(self.members, *x.shape)
        elif x.dim() != 3 or x.shape[0] != self.members:
            raise ValueError(f"input must be (N, in) or ({self.members}, N, in), got {tuple(input.shape)}")
        linear = 0
        for kind in self.kinds:
            if kind == "linear":
                x = StackedLinearFunction.apply(x, self.weight[linear], self.bias[linear])
                linear += 1
            elif kind == "relu":
                x = relu(x)
            elif self.training:  # inverted dropout, p_m per member: the taught Function, a mask per member
                draw = torch.rand(x.shape, device=x.device)  # compared in its own dtype, as in dropout()
                keep = (draw >= self.p.to(draw.dtype)).to(x.dtype)
                x = DropoutFunction.apply(x, keep, 1 / (1 - self.p.to(x.dtype)))
        return x

    def l2_penalty(self) -> Tensor:
        r"""$\sum w^2$ over each member's weights (not biases), ``(M,)``: what
        :func:`nnbasics.regularization.l2_penalty` gives for one network."""
        return sum(((w * w).sum(dim=(1, 2)) for w in self.weight), torch.zeros(self.members))

    def extra_repr(self) -> str:
        return f"members={self.members}, layers={self.kinds}"


def train(model: Ensemble, inputs: Tensor, targets: Tensor, l2: Sequence[float] | float = 0.0, *,
          epochs: int, lr: float, momentum: float = 0.0, val: tuple[Tensor, Tensor] | None = None,
          every: int = 1) -> dict[str, Tensor]:
    r"""Full-batch training of every member at once, the regularization chapter's loop.

    Each epoch: in ``train()`` mode, the loss $\ell_m$ (mean cross-entropy) of every member on
    ``inputs``; one step of :class:`nnbasics.optim.SGD` on $\sum_m \ell_m + \tfrac{\lambda_m}{2}
    \lVert W_m\rVert^2$, whose gradient with respect to member $m$'s parameters is that of its own
    objective; then, every ``every`` epochs (and after the last), the mean cross-entropy on ``val``
    in ``eval()`` mode. The model is left in ``eval()`` mode.

    :param model: the :class:`Ensemble`.
    :param inputs: ``(N, in)``; ``targets``: class indices ``(N,)``.
    :param l2: $\lambda_m$, one number for all or one per member.
    :param epochs: the number of full-batch steps.
    :param lr: SGD's learning rate; ``momentum``: its momentum.
    :param val: ``(inputs, targets)`` of a validation set, or None.
    :param every: evaluate on ``val`` every this many epochs (epoch 0 included).
    :return: ``"train"``: $\ell_m$ before each step, ``(epochs, M)``; with ``val``, ``"val"``
        ``(E, M)`` after the steps numbered in ``"val_epoch"`` ``(E,)`` (0 = after the first step).
    """
    if not isinstance(model, Ensemble):
        raise TypeError(f"model must be an Ensemble, got {type(model).__name__}")
    epochs, every = check_int(epochs, "epochs"), check_int(every, "every")
    dtype = next(iter(model.parameters()), model.p).dtype
    if isinstance(l2, Sequence) and not isinstance(l2, (str, bytes)):
        lam = torch.tensor([check_real(v, "l2", min_value=0.0) for v in l2], dtype=dtype)
        if len(lam) != model.members:
            raise ValueError(f"l2 must have one value per member ({model.members}), got {len(lam)}")
    else:
        lam = torch.full((model.members,), check_real(l2, "l2", min_value=0.0), dtype=dtype)
    check_tensor(inputs, "inputs")
    if inputs.dim() != 2 or not isinstance(targets, Tensor) or targets.shape != inputs.shape[:1]:
        raise ValueError(f"inputs must be (N, in) and targets (N,), got {tuple(inputs.shape)} and "
                         f"{tuple(getattr(targets, 'shape', ())) or type(targets).__name__}")
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    history: dict[str, list] = {"train": [], "val": [], "val_epoch": []}

    def mean_loss(x: Tensor, y: Tensor) -> Tensor:  # (M,): each member's mean cross-entropy
        logits = model(x)
        flat = logits.reshape(-1, logits.shape[-1])
        losses = cross_entropy(flat, y.repeat(model.members), reduction="none")
        return losses.view(model.members, len(y)).mean(dim=1)

    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        loss = mean_loss(inputs, targets)
        (loss.sum() + (lam / 2 * model.l2_penalty()).sum()).backward()
        optimizer.step()
        history["train"].append(loss.detach())
        if val is not None and (epoch % every == 0 or epoch == epochs - 1):
            model.eval()
            with torch.no_grad():
                history["val"].append(mean_loss(*val))
            history["val_epoch"].append(epoch)
    model.eval()
    out = {"train": torch.stack(history["train"])}
    if val is not None:
        out["val"] = torch.stack(history["val"])
        out["val_epoch"] = torch.tensor(history["val_epoch"])
    return out
