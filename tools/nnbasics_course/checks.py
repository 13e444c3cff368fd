"""Checks the grader runs inside the grading kernel, which a submission cannot patch away.

The grader (`nnbasics_course.grading`) runs ``snapshot()`` in the kernel before any student code,
then rewrites every graded test cell so that

- ``restore()`` runs before each of its top-level statements: every attribute a submission
  replaced since the snapshot in ``builtins``, ``math``, ``operator``, ``torch``,
  ``torch.testing``, ``torch.nn.functional``, ``nnbasics.utils`` (whose ``forbid`` enforces the
  exercises' "use only" limits), ``numpy``, ``numpy.testing`` and on ``torch.Tensor`` is put back
  (``torch.testing.assert_close = lambda *a, **k: None`` is undone);
- every comparison (``==``, ``<``, ...) inside an ``assert`` goes through ``compare()``, which
  accepts only values of plain types (``int``, ``float``, ``str``, containers of them, exact
  ``torch.Tensor``/``Parameter``/``Size``, numpy arrays and scalars): a ``float`` subclass whose
  ``__eq__`` returns True fails the test instead of passing it.

The snapshot lives in this module's closure; a submission that goes looking for it with ``gc``
can still defeat it (a limit of grading in the student's own process, see book/instructors.md).
"""

from __future__ import annotations

import operator as _operator
import sys as _sys

_OPS = {"==": _operator.eq, "!=": _operator.ne, "<": _operator.lt, "<=": _operator.le,
        ">": _operator.gt, ">=": _operator.ge}
_MODULES = ("builtins", "math", "operator", "torch", "torch.testing", "torch.nn.functional",
            "nnbasics.utils", "numpy", "numpy.testing")
_type, _isinstance, _len, _dict, _list, _getattr, _setattr, _delattr = (
    type, isinstance, len, dict, list, getattr, setattr, delattr)
_saved: dict = {}


def _classes():
    torch = _sys.modules.get("torch")
    return [torch.Tensor] if torch is not None else []


def snapshot() -> None:
    """Remember the attributes of the checked modules and classes (before any student code)."""
    for name in _MODULES:
        try:
            __import__(name)
        except ImportError:
            continue
        module = _sys.modules[name]
        _saved[name] = (module, _dict(vars(module)))
    for cls in _classes():
        _saved[f"class:{cls.__qualname__}"] = (cls, _dict(vars(cls)))


def restore() -> None:
    """Put back every attribute replaced (or, on a class, added) since `snapshot`."""
    for key, (obj, attrs) in _list(_saved.items()):
        current = vars(obj)
        for name, value in attrs.items():
            if current.get(name, _saved) is not value:
                try:
                    _setattr(obj, name, value)
                except (AttributeError, TypeError):
                    pass
        if key.startswith("class:"):
            for name in [n for n in current if n not in attrs]:
                try:
                    _delattr(obj, name)
                except (AttributeError, TypeError):
                    pass
    for name, (module, _) in _list(_saved.items()):
        if not name.startswith("class:"):
            _sys.modules[name] = module


def _plain_types():
    types = {int, float, bool, complex, str, bytes, _type(None), tuple, list, dict, set, frozenset,
             range, slice}
    torch = _sys.modules.get("torch")
    if torch is not None:
        types |= {torch.Tensor, torch.nn.Parameter, torch.Size, torch.dtype, torch.device}
    return types


def _check_plain(value, depth: int = 0) -> None:
    kind = _type(value)
    if kind in _plain_types():
        if kind in (tuple, list, set, frozenset) and depth < 3:
            for item in value:
                _check_plain(item, depth + 1)
        elif kind is dict and depth < 3:
            for key, item in value.items():
                _check_plain(key, depth + 1)
                _check_plain(item, depth + 1)
        return
    if _getattr(kind, "__module__", "") == "numpy" or kind.__module__.startswith("numpy."):
        return  # numpy arrays and scalars (a subclass defined elsewhere has another module)
    raise AssertionError(f"the grader compares only plain values (float, int, str, tensors...), "
                         f"not a {kind.__module__}.{kind.__qualname__}")


def compare(left, op: str, right):
    """``left <op> right`` after checking both are plain values (see the module's docstring)."""
    _check_plain(left)
    _check_plain(right)
    return _OPS[op](left, right)
