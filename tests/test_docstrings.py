"""Every public name of the chapter modules is documented for the API reference (issue 20 item 5).

The API page (``book/api.md``) is built by ``sphinx.ext.autodoc`` with ``autodoc_typehints =
"description"``: each parameter gets a line with its type, and the docstring's ``:param name:``
field supplies what the parameter means. So, for every name in a chapter module's ``__all__``:

* it has a docstring (as do the other names the API page lists);
* every parameter of its signature (a class's ``__init__``, an autograd Function's ``forward``;
  without ``self``, ``ctx``, ``*args`` and ``**kwargs``) has a ``:param name:`` description, and so
  has every parameter of a public method with a docstring (autodoc shows those methods too);
* a tensor op (an autograd Function, an ``nn.Module``, a function taking a ``Tensor``) states its
  shapes in a line such as ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)``.

``nnbasics.fast`` (the appendix's speed module) and ``nnbasics.benchmarks`` are outside this check.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import typing
from pathlib import Path

import pytest
import torch
from torch import nn

import nnbasics

MODULES = ["activations", "numerics", "layers", "init", "losses", "gradcheck", "training", "optim",
           "optim.lr_scheduler", "regularization", "conv", "recurrent", "capstone", "utils", "explorer",
           "debugging", "attention"]

# "(N, C_in, H, W) -> (N, C_out, H_out, W_out)": a parenthesised shape, an arrow, another one.
SHAPE_LINE = re.compile(r"\([^()\n]*\)\s*->\s*(?:values and indices\s*)?\(")


def _public(module_name: str) -> list[tuple[str, str]]:
    module = importlib.import_module(f"nnbasics.{module_name}")
    return [(module_name, name) for name in module.__all__]


def _api_page_members() -> list[tuple[str, str]]:
    """Names the API page lists explicitly (``:members: a, b``), which may lie outside ``__all__``."""
    text = (Path(__file__).resolve().parents[1] / "book" / "api.md").read_text()
    pairs = []
    for module, members in re.findall(r"automodule:: nnbasics\.([\w.]+)\n\s*:members: *(.*)", text):
        if module in MODULES:
            pairs += [(module, name.strip()) for name in members.split(",") if name.strip()]
    return pairs


NAMES = [pair for module_name in MODULES for pair in _public(module_name)]
NAMES += [("", name) for name in nnbasics.__all__ if not inspect.ismodule(getattr(nnbasics, name))]
NAMES += [pair for pair in _api_page_members() if pair not in NAMES]


def _qualified(module_name: str, name: str) -> str:
    return ".".join(["nnbasics", *([module_name] if module_name else []), name])


def _object(module_name: str, name: str) -> object:
    module = importlib.import_module(f"nnbasics.{module_name}" if module_name else "nnbasics")
    return getattr(module, name)


def _documented_callable(obj: object):
    """The callable whose parameters the docstring describes."""
    if isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
        return obj.forward
    if isinstance(obj, type):
        return obj.__init__ if "__init__" in _own_attributes(obj) or dataclasses.is_dataclass(obj) else None
    return obj


def _own_attributes(cls: type) -> set[str]:
    # __init__ defined by the class itself or by a base class of the library (not by torch or object).
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("nnbasics"):
            names |= set(vars(klass))
    return names


def parameters(obj: object) -> list[str]:
    """The parameters a reader passes: without self, ctx, *args and **kwargs."""
    target = _documented_callable(obj)
    if target is None or not callable(target):
        return []
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    skip = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    return [p.name for p in signature.parameters.values()
            if p.kind not in skip and p.name not in {"self", "ctx", "cls"}]


def _takes_tensor(function: object) -> bool:
    try:
        hints = typing.get_type_hints(function)
    except NameError:  # a hint that does not resolve: read the raw annotations
        hints = getattr(function, "__annotations__", {})
    hints.pop("return", None)
    return any(hint is torch.Tensor or hint == "Tensor" for hint in hints.values())


def is_tensor_op(obj: object) -> bool:
    if isinstance(obj, type):
        return issubclass(obj, (torch.autograd.Function, nn.Module))
    return inspect.isfunction(obj) and _takes_tensor(obj)


def missing_descriptions(obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    return [name for name in parameters(obj) if not re.search(rf":param {re.escape(name)}:", doc)]


def has_shape_line(doc: str) -> bool:
    return bool(SHAPE_LINE.search(doc)) or bool(re.search(r"^\s*Shapes?\b", doc, re.M))


CALLABLE_NAMES = [pair for pair in NAMES if callable(_object(*pair))]


@pytest.mark.parametrize(("module_name", "name"), CALLABLE_NAMES)
def test_has_docstring(module_name: str, name: str) -> None:
    obj = _object(module_name, name)
    assert (obj.__doc__ or "").strip(), f"{_qualified(module_name, name)} has no docstring"


@pytest.mark.parametrize(("module_name", "name"), CALLABLE_NAMES)
def test_every_parameter_is_described(module_name: str, name: str) -> None:
    obj = _object(module_name, name)
    missing = missing_descriptions(obj)
    assert not missing, f"{_qualified(module_name, name)}: no ':param name:' for {missing}"


def _documented_methods() -> list[tuple[str, str, str]]:
    """Public methods with a docstring: autodoc shows them on the API page, with their parameters."""
    found = []
    for module_name, name in CALLABLE_NAMES:
        cls = _object(module_name, name)
        if not isinstance(cls, type):
            continue
        for attr, value in vars(cls).items():
            function = value.__func__ if isinstance(value, staticmethod | classmethod) else value
            if not attr.startswith("_") and inspect.isfunction(function) and function.__doc__:
                found.append((module_name, name, attr))
    return found


@pytest.mark.parametrize(("module_name", "name", "method"), _documented_methods())
def test_every_method_parameter_is_described(module_name: str, name: str, method: str) -> None:
    function = inspect.getattr_static(_object(module_name, name), method)
    function = function.__func__ if isinstance(function, staticmethod | classmethod) else function
    missing = missing_descriptions(function)
    assert not missing, f"{_qualified(module_name, name)}.{method}: no ':param name:' for {missing}"


TENSOR_OPS = [pair for pair in CALLABLE_NAMES if is_tensor_op(_object(*pair))]


@pytest.mark.parametrize(("module_name", "name"), TENSOR_OPS)
def test_tensor_op_states_shapes(module_name: str, name: str) -> None:
    doc = inspect.getdoc(_object(module_name, name)) or ""
    assert has_shape_line(doc), f"{_qualified(module_name, name)}: no shape line like '(N, C) -> (N,)'"


# --- the checks themselves can fail -----------------------------------------------------------


def _example(input: torch.Tensor, dim: int, scale: float = 1.0) -> torch.Tensor:
    """Softmax along ``dim``: ``(N, C) -> (N, C)``.

    :param input: the scores, ``(N, C)``.
    :param dim: the dimension that sums to 1.
    :param scale: multiplies ``input`` first.
    """
    return input


class _ExampleFunction(torch.autograd.Function):
    """Doubles: ``(*) -> (*)``.

    :param x: any shape.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return 2 * x


def test_the_checks_catch_a_missing_description() -> None:
    assert parameters(_example) == ["input", "dim", "scale"]
    assert missing_descriptions(_example) == []
    assert is_tensor_op(_example) and has_shape_line(inspect.getdoc(_example))
    documented = _example.__doc__
    _example.__doc__ = documented.replace(":param dim: the dimension that sums to 1.\n", "")
    try:
        assert missing_descriptions(_example) == ["dim"]
    finally:
        _example.__doc__ = documented
    assert parameters(_ExampleFunction) == ["x"]
    assert missing_descriptions(_ExampleFunction) == []
    assert is_tensor_op(_ExampleFunction)
    assert not has_shape_line("Doubles its input.")
    assert has_shape_line("Doubles.\n\nShape: any, same out.")
