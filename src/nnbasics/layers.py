"""The fully connected layer, and counting a network's parameters layer by layer.

Taught in the chapter "Building a network". :class:`Linear` has the parameters, shapes and
default initialization of :class:`torch.nn.Linear` (so a torch layer's ``state_dict`` loads
into it) and a hand-written backward pass; it is a :class:`torch.nn.Module`, so it goes into
``torch.nn.Sequential`` and any torch training loop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nnbasics import init
from nnbasics._checks import check_int, check_module, check_tensor
from nnbasics.utils import evaluating

__all__ = ["LayerRow", "Linear", "count_parameters", "summary"]


class LinearFunction(torch.autograd.Function):
    r"""$Y = X W^\top + b$: ``(*, in_features) -> (*, out_features)``.

    :param x: the input $X$, ``(*, in_features)``.
    :param weight: $W$, ``(out_features, in_features)``.
    :param bias: $b$, ``(out_features,)``, or None.

    Backward, with $G = \partial L/\partial Y$ flattened to $[m, n_\text{out}]$:
    $\partial L/\partial X = G W$, $\partial L/\partial W = G^\top X$,
    $\partial L/\partial b = \sum_i G_i$ (a sum over every leading dimension).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        x, weight = ctx.saved_tensors
        g2 = grad_out.reshape(-1, grad_out.shape[-1])  # [m, out]
        # Only the gradients autograd asks for: the first layer's input (the data) needs none.
        grad_x = grad_out @ weight if ctx.needs_input_grad[0] else None
        grad_w = g2.T @ x.reshape(-1, x.shape[-1]) if ctx.needs_input_grad[1] else None
        grad_b = g2.sum(dim=0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


class Linear(nn.Module):
    r"""A fully connected layer $y = x W^\top + b$, like :class:`torch.nn.Linear`.

    ``(*, in_features) -> (*, out_features)``. ``weight`` is ``(out_features, in_features)`` and
    ``bias`` is ``(out_features,)``, both initialized as torch does: Kaiming-uniform with
    $a = \sqrt 5$, which gives $\mathcal U(-1/\sqrt{\text{fan\_in}}, 1/\sqrt{\text{fan\_in}})$,
    for the weight and the bias alike.

    :param in_features: the size $n_\text{in}$ of each input vector.
    :param out_features: the size $n_\text{out}$ of each output vector.
    :param bias: whether the layer adds a learned bias $b$.
    :param device: where the parameters are created (torch's default if None).
    :param dtype: the parameters' dtype (torch's default if None).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: torch.device | None = None, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            check_int(value, name, min_value=0)
        self.in_features, self.out_features = in_features, out_features
        kwargs = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_features, in_features, **kwargs))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default initialization, in torch's order of random draws."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        x = check_tensor(input)
        if x.dim() == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects input of shape "
                             f"[..., {self.in_features}], got {tuple(x.shape)}")
        if x.dtype != self.weight.dtype:
            raise TypeError(f"input dtype {x.dtype} does not match the layer's {self.weight.dtype}: "
                            f"convert one of them (e.g. model.double() or x.float())")
        return LinearFunction.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of scalar parameters of ``model`` (only those with ``requires_grad`` by default).

    A parameter shared by several layers is counted once, as torch stores it once.

    :param model: any :class:`torch.nn.Module`.
    :param trainable_only: count only the parameters with ``requires_grad`` (else all of them).
    """
    check_module(model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@dataclass(frozen=True)
class LayerRow:
    """One row of :func:`summary`: a leaf layer, its output shape and parameter count.

    :param name: the layer's path in the model (its class name for a model that is one layer).
    :param kind: the layer's class name.
    :param output_shape: the shape of the layer's output, batch first.
    :param params: the number of parameters the layer owns.
    :param trainable: how many of them have ``requires_grad``.
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    trainable: int


class Summary(list):
    """The rows of :func:`summary`, printed as a table with the totals.

    :param rows: one :class:`LayerRow` per leaf layer.
    :param total: the model's number of parameters, each counted once.
    :param trainable: how many of them have ``requires_grad``.
    """

    def __init__(self, rows: list[LayerRow], total: int, trainable: int) -> None:
        super().__init__(rows)
        self.total, self.trainable = total, trainable

    def __str__(self) -> str:
        header = f"{'layer':<24}{'output shape':<22}{'parameters':>12}"
        lines = [header, "-" * len(header)]
        for row in self:
            shape = str(list(row.output_shape))
            lines.append(f"{row.name + ' (' + row.kind + ')':<24}{shape:<22}{row.params:>12,}")
        lines += ["-" * len(header), f"{'total parameters':<46}{self.total:>12,}",
                  f"{'trainable parameters':<46}{self.trainable:>12,}"]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


def summary(model: nn.Module, input_size: Sequence[int], dtype: torch.dtype = torch.float32) -> Summary:
    """Run a zero input of ``input_size`` through ``model`` and list every leaf layer.

    Each row gives the layer's name (its path in the model), its class, the shape of its
    output and the number of parameters it owns; the totals count each parameter once.

    :param model: the network to list.
    :param input_size: the shape of the input to run through it, batch first (e.g. ``(1, 784)``).
    :param dtype: the input's dtype (the model's parameters' dtype).
    """
    check_module(model)
    if not isinstance(input_size, Sequence) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in input_size):
        raise TypeError(f"input_size must be a sequence of ints (the input's shape, batch first), "
                        f"got {input_size!r}")
    if any(n < 0 for n in input_size):
        raise ValueError(f"input_size must hold sizes >= 0, got {tuple(input_size)}")
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    shapes: dict[str, tuple[int, ...]] = {}

    def record(name: str):
        def hook(module: nn.Module, inputs: tuple, output: object) -> None:  # None: output kept
            shapes.setdefault(name, tuple(output.shape) if isinstance(output, Tensor) else ())
        return hook

    hooks = [m.register_forward_hook(record(name)) for name, m in leaves]
    try:
        with evaluating(model):
            model(torch.zeros(tuple(input_size), dtype=dtype))
    finally:
        for hook in hooks:
            hook.remove()
    rows = [
        LayerRow(name or type(m).__name__, type(m).__name__, shapes.get(name, ()),
                 sum(p.numel() for p in m.parameters(recurse=False)),
                 sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad))
        for name, m in leaves
    ]
    return Summary(rows, count_parameters(model, trainable_only=False), count_parameters(model))
