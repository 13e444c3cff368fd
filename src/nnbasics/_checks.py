"""Argument checks shared by every nnbasics module.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the argument and
what was expected, so a reader never meets a raw index error from deep inside an op.
"""

from __future__ import annotations

import math
from numbers import Real

import torch


class DimensionError(ValueError, IndexError):
    """A ``dim`` outside the tensor's dimensions.

    It is a ``ValueError`` (the course's convention for bad arguments) and an ``IndexError``
    (what ``torch`` raises), so code written against either keeps working.
    """


def check_tensor(value: object, name: str = "input") -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor, else raise ``TypeError``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (float16/32/64), got dtype {value.dtype}"
        )
    return value


def check_module(value: object, name: str = "model") -> torch.nn.Module:
    """Return ``value`` if it is a ``torch.nn.Module`` (a network or a layer), else raise ``TypeError``."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def check_optimizer(value: object, name: str = "optimizer") -> torch.optim.Optimizer:
    """Return ``value`` if it is a ``torch.optim.Optimizer`` (the course's or torch's), else raise
    ``TypeError``."""
    if not isinstance(value, torch.optim.Optimizer):
        raise TypeError(f"{name} must be a torch.optim.Optimizer (e.g. nnbasics.optim.SGD), "
                        f"got {type(value).__name__}")
    return value


def check_ids(value: object, name: str = "ids", dim: int = 1) -> torch.Tensor:
    """Return ``value`` if it is a ``dim``-D int64 tensor of character (or token) ids, else raise
    ``TypeError``."""
    if not isinstance(value, torch.Tensor) or value.dtype != torch.long or value.dim() != dim:
        is_tensor = isinstance(value, torch.Tensor)
        got = f"{value.dtype} of shape {tuple(value.shape)}" if is_tensor else type(value).__name__
        raise TypeError(f"{name} must be a {dim}-D int64 tensor of character ids, got {got}")
    return value


def check_dim(dim: object, ndim: int, name: str = "dim") -> int:
    """Return ``dim`` as a non-negative index into a tensor with ``ndim`` dimensions."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{name} must be an int, got {type(dim).__name__}")
    size = max(ndim, 1)  # torch lets a 0-d tensor be indexed with dim 0 or -1
    if not -size <= dim < size:
        raise DimensionError(
            f"{name} must be in [{-size}, {size - 1}] for a {ndim}-D input, got {dim}"
        )
    return dim % size


def check_real(
    value: object,
    name: str,
    *,
    min_value: float | None = None,
    allow_min: bool = True,
    max_value: float | None = None,
    allow_max: bool = True,
) -> float:
    """Return ``value`` as a finite ``float`` inside the given bounds, else raise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if min_value is not None and (value < min_value or (value == min_value and not allow_min)):
        relation = ">=" if allow_min else ">"
        raise ValueError(f"{name} must be {relation} {min_value}, got {value}")
    if max_value is not None and (value > max_value or (value == max_value and not allow_max)):
        relation = "<=" if allow_max else "<"
        raise ValueError(f"{name} must be {relation} {max_value}, got {value}")
    return value


def check_int(value: object, name: str, min_value: int = 1, size: int | None = None) -> int | tuple[int, ...]:
    """Return ``value`` if it is an int (not a bool) of at least ``min_value``, else raise ``ValueError``.

    With ``size``, ``value`` may also be a tuple or list of ``size`` such ints, and the result is
    that tuple; an int, or a one-element tuple, is repeated (as torch reads ``kernel_size=3`` as
    ``(3, 3)``).
    """
    kind = {1: "a positive int", 0: "a non-negative int"}.get(min_value, f"an int >= {min_value}")
    items = [value]
    if size is not None:
        items = list(value) if isinstance(value, tuple | list) else [value]
        items = items * size if len(items) == 1 else items
        kind += f" or a tuple of {size} of them" if size > 1 else ""
    if len(items) != (size or 1) or any(isinstance(v, bool) or not isinstance(v, int) or v < min_value
                                        for v in items):
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return value if size is None else tuple(items)


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    if value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {expected}; got {value!r}")
    return value  # type: ignore[return-value]
