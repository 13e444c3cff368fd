"""A submission's solution cells, read by the grader before anything runs: code that reaches for
the grader itself is refused.

The grading kernel runs a submission's code and then the hidden tests in one Python process, so
a submission could try to replace what the tests rely on: the checks module, the name the test
cells call it by, the interpreter's module table, the tests' frames. `nnbasics_course.checks`
undoes replaced attributes of torch, numpy and the builtins before every test statement; this
screen refuses, before the kernel starts, the ways to reach the checks themselves:

- importing ``sys``, ``gc``, ``ctypes``, ``inspect``, ``builtins``, ``__main__``, ``importlib``,
  ``IPython`` or ``nnbasics_course`` (an exercise's answer needs none of them);
- a double-underscore name other than ``__name__`` (``__import__``, ``__builtins__``,
  ``__nnbasics_checks__``...; a class body may name its own special methods), and a
  double-underscore attribute other than the few a class needs (``super().__init__``,
  ``x.__class__``...): ``f.__globals__``, ``m.__dict__``, ``cls.__subclasses__()`` are refused;
- ``exec``, ``eval``, ``compile``, ``globals``, ``vars``, ``locals``, ``breakpoint``,
  ``get_ipython``, and ``getattr``/``setattr``/``delattr`` with an attribute name that is not a
  plain string;
- frame attributes (``f_globals``, ``f_locals``, ``f_back``, ``tb_frame``, ``gi_frame``...).

This raises the cost of a cheat; it cannot make one process safe from a determined one, which
is why the kernel also runs in the sandbox (`nnbasics_course.sandbox`): whatever a submission
does, it sees no file and no network beyond its own.
"""

from __future__ import annotations

import ast

__all__ = ["screen"]

FORBIDDEN_MODULES = frozenset({"sys", "gc", "ctypes", "inspect", "builtins", "__main__", "importlib",
                               "IPython", "nnbasics_course"})
ALLOWED_DUNDER_ATTRIBUTES = frozenset({"__init__", "__call__", "__class__", "__name__", "__doc__",
                                       "__len__", "__repr__", "__str__", "__getitem__", "__iter__"})
FORBIDDEN_CALLS = frozenset({"exec", "eval", "compile", "globals", "vars", "locals", "breakpoint",
                             "get_ipython"})
_FRAME_ATTRIBUTES = frozenset({"f_globals", "f_locals", "f_back", "f_builtins", "f_code", "tb_frame",
                               "gi_frame", "cr_frame", "ag_frame", "tb_next"})


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def screen(source: str) -> list[str]:
    """What in ``source`` (one solution cell) reaches for the grader: one line per finding,
    ``"line N: what"``; empty if nothing. A cell that does not parse is left to fail as it is."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    in_class = {id(n) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef)
                for stmt in cls.body if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    flag(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
                flag(node, f"from {node.module} import ...")
        elif isinstance(node, ast.Name):
            # A class body may name its own special methods (__ne__ = __eq__); nothing else may.
            special = _dunder(node.id) and node.id != "__name__"
            reserved = node.id in ("__builtins__", "__import__") or node.id.startswith("__nnbasics")
            if reserved or (special and id(node) not in in_class) or node.id in FORBIDDEN_CALLS:
                flag(node, f"the name {node.id}")
        elif isinstance(node, ast.Attribute):
            if _dunder(node.attr) and node.attr not in ALLOWED_DUNDER_ATTRIBUTES:
                flag(node, f"the attribute .{node.attr}")
            elif node.attr in _FRAME_ATTRIBUTES or node.attr.startswith("__nnbasics"):
                flag(node, f"the attribute .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.args[1] if len(node.args) >= 2 else None
            plain = (isinstance(name, ast.Constant) and isinstance(name.value, str)
                     and (not _dunder(name.value) or name.value in ALLOWED_DUNDER_ATTRIBUTES))
            if node.func.id in ("getattr", "setattr", "delattr") and not plain:
                flag(node, f"{node.func.id} with a computed or special attribute name")
    return found
