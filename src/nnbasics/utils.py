"""Small helpers every chapter uses: reproducible runs, evaluation mode, showing the library's own
source, and (for the exercises' hidden tests) forbidding the functions an exercise asks the reader to
write without.

Introduced in the chapter "Activation functions" and used in every chapter after it.
"""

from __future__ import annotations

import importlib
import inspect
import os
import random
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from nnbasics._checks import check_int, check_module

__all__ = ["Source", "evaluating", "forbid", "reproducible", "show_source"]


def reproducible(seed: int = 0, threads: int = 2) -> torch.Generator:
    """Seed Python, NumPy and torch, fix torch's thread count, and return a seeded generator.

    Every notebook calls this first, so a re-run prints the same numbers: the seed fixes the
    random draws, and a fixed thread count fixes the order of floating-point sums.

    :param seed: the seed, >= 0.
    :param threads: torch's number of threads.
    """
    check_int(seed, "seed", min_value=0)
    check_int(threads, "threads")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- the legacy global RNG is what most reader code uses
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))  # inherited by child processes
    book_style()
    return torch.Generator().manual_seed(seed)


# The book's text column is 688 px wide at 1280 px: a figure drawn 6.88 in wide at 100 dpi is
# shown at its own size, so 11 pt text is 15 px high, and a figure up to 1.4 times as wide still
# shows its smallest text at 11 px. White faces keep plots readable in the dark theme.
BOOK_STYLE = {
    "figure.figsize": (6.88, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 11,
    "figure.titlesize": 12,
}


def book_style() -> None:
    """Set matplotlib's sizes and colours for the book's column (``BOOK_STYLE``): a figure of
    the default size is shown at its own size, with no text under 11 px, in light and dark mode.
    ``reproducible`` calls this, so every notebook's plots share one style."""
    import matplotlib as mpl  # here, not at the top: the library itself does not plot

    mpl.rcParams.update(BOOK_STYLE)


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Run a ``with`` block with ``model`` in eval mode (dropout off, batch norm on its running
    statistics) and without gradients, then put the model back in the mode it was in, even if
    the block raises.

    :param model: the network to evaluate.
    """
    check_module(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


class Source:
    """The source code of library objects, shown as highlighted code in JupyterLab and the book.

    ``repr`` gives the plain text, so the notebook's stored output (compared by nbval) changes
    whenever the library's code does: the book can never show a stale copy.

    :param objects: functions, classes, methods or modules of nnbasics.
    """

    def __init__(self, *objects: object) -> None:
        if not objects:
            raise ValueError("show_source needs at least one function, class or module")
        self.parts: list[tuple[str, str]] = []
        for obj in objects:
            try:
                code = inspect.getsource(obj)  # type: ignore[arg-type]
            except (TypeError, OSError) as err:
                raise TypeError(
                    f"cannot show the source of {obj!r}: pass a function, class or module"
                ) from err
            self.parts.append((self._where(obj), textwrap.dedent(code).rstrip() + "\n"))

    @staticmethod
    def _where(obj: object) -> str:
        module = inspect.getmodule(obj)
        path = Path(inspect.getsourcefile(obj) or "")  # type: ignore[arg-type]
        parts = path.parts
        shown = "/".join(parts[parts.index("nnbasics") :]) if "nnbasics" in parts else path.name
        if inspect.ismodule(obj) or module is None:
            name = getattr(obj, "__name__", repr(obj))
        else:
            name = f"{module.__name__}.{obj.__qualname__}"  # type: ignore[attr-defined]
        return f"{name}  (src/{shown})"

    def __repr__(self) -> str:
        return "\n".join(f"# {where}\n{code}" for where, code in self.parts)

    def _repr_markdown_(self) -> str:
        return "\n".join(f"`{where}`\n\n```python\n{code}```\n" for where, code in self.parts)


def show_source(*objects: object) -> Source:
    """Display the source of one or more nnbasics objects in a notebook.

    :param objects: functions, classes, methods or modules of nnbasics.

    Example, as the last line of a notebook cell::

        show_source(nnbasics.activations.SigmoidFunction)
    """
    return Source(*objects)


def progress_bar(iterable, show: bool = True, **kwargs):
    """``tqdm.auto``'s progress bar over ``iterable``, switched off by ``show=False`` or by the
    environment variable ``TQDM_DISABLE=1`` (which ``make execute`` and nbval set, so that no bar
    is stored in a notebook). Checked here because tqdm's notebook bar ignores that variable."""
    from tqdm.auto import tqdm

    off = os.environ.get("TQDM_DISABLE", "").strip().lower() not in {"", "0", "false", "no"}
    return tqdm(iterable, disable=off or not show, **kwargs)



# --- Forbidding functions (the exercises' "use only ..." rules) ----------------------------------

# The namespaces in which torch spells one op several ways: torch.softmax, x.softmax(),
# torch.nn.functional.softmax and torch.special.softmax are one softmax.
_OP_NAMESPACES = ("torch", "torch.Tensor", "torch.nn.functional", "torch.special")
_DEFAULT_RULE = "the exercise asks you to write it yourself"


def _resolve(name: str) -> object:
    """The object a dotted name such as ``"torch.nn.functional.linear"`` names."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"forbid takes dotted names such as 'torch.softmax', got {name!r}")
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                raise ValueError(f"forbid: {name!r} names nothing ({'.'.join(parts[:i])} has no {attr!r})")
            obj = getattr(obj, attr)
        return obj
    raise ValueError(f"forbid: {name!r} names nothing (no module {parts[0]!r})")


def _spellings(name: str, obj: object) -> dict[int, tuple[object, str]]:
    """``{id: (object, its dotted name)}`` for ``obj`` and, for an op of torch's op namespaces, its
    other spellings there and its in-place form ``op_``: forbidding ``torch.sigmoid`` also forbids
    ``x.sigmoid()`` (``torch.Tensor.sigmoid``) and ``x.sigmoid_()``."""
    found = {id(obj): (obj, name)}
    parent, _, base = name.rpartition(".")
    if parent in _OP_NAMESPACES:
        for space_name in _OP_NAMESPACES:
            space = _resolve(space_name)
            for attr in (base, base + "_"):
                other = getattr(space, attr, None)
                if callable(other) and not isinstance(other, type) and id(other) not in found:
                    found[id(other)] = (other, f"{space_name}.{attr}")
    return found


def _code_objects(obj: object) -> list[object]:
    """The code of a Python function, bound method, or of every function a class defines (an
    autograd Function's ``forward`` and ``backward``, a module's ``__init__`` and ``forward``)."""
    if inspect.isclass(obj):
        members = [m.__func__ if isinstance(m, staticmethod | classmethod) else m for m in vars(obj).values()]
    else:
        members = [getattr(obj, "__func__", obj)]
    # a decorated function's wrapper code is shared by every function with that decorator
    # (sklearn's validate_params, torch.optim's step): watch the function it wraps instead
    return [inspect.unwrap(m).__code__ for m in members if inspect.isfunction(m)]


class _ForbiddenMode(TorchFunctionMode):
    """Sees every torch call made while it is active (torch functions, ``torch.nn.functional``,
    Tensor methods and operators), and refuses the forbidden ones."""

    def __init__(self, ops: dict[int, tuple[object, str]], refuse: Callable[..., None]) -> None:
        super().__init__()
        self.ops, self.refuse = ops, refuse

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if id(func) in self.ops and self.ops[id(func)][0] is func:
            self.refuse(self.ops[id(func)][1], now=True)
        return func(*args, **(kwargs or {}))


@contextmanager
def forbid(*names: str, rule: str = _DEFAULT_RULE) -> Iterator[None]:
    """Run a ``with`` block in which calling any of ``names`` fails with an ``AssertionError`` that
    names the call and ``rule``: how an exercise's hidden test enforces "use only ...".

    :param names: dotted names of the forbidden functions or classes, as the reader would import
        them: ``"torch.softmax"``, ``"torch.nn.functional.cross_entropy"``,
        ``"torch.autograd.grad"``, ``"torch.Tensor.backward"``, ``"nnbasics.losses.huber_loss"``,
        ``"nnbasics.activations.SigmoidFunction"``.
    :param rule: the exercise's rule, quoted in the error ("use torch.exp, .max(), .sum() and
        arithmetic only").

    Example, in a hidden test::

        with forbid("torch.softmax", "nnbasics.activations.softmax", rule="use torch.exp only"):
            probs = stable_softmax(scores)

    A call is caught however the reader reached the function, because the check looks at the
    function called, not at the name it was called by:

    - a torch function is caught by a ``torch.overrides.TorchFunctionMode``, which sees every
      call into torch (an alias made earlier, ``from torch.nn.functional import linear as f``, a
      module such as ``torch.nn.Linear`` that calls it). A name of torch's op namespaces
      (``torch``, ``torch.Tensor``, ``torch.nn.functional``, ``torch.special``) forbids the op in
      all of them, and its in-place form: ``"torch.softmax"`` also forbids ``x.softmax(0)``,
      ``F.softmax`` and ``torch.special.softmax``. Only the calls made by the code in the block are
      seen, not the ones torch makes inside a call it allowed;
    - a Python function (the course's own ``nnbasics`` functions, whose autograd Functions are
      plain Python that the mode cannot see, and torch's Python functions such as
      ``torch.autograd.grad``, which ``torch.func.grad`` and ``torch.autograd.functional`` call) is
      also caught by a profile hook (``sys.setprofile``) that watches its code: every call
      during the block counts, even one made by another library function. A class forbids every
      function it defines: an autograd Function's ``forward`` and ``backward``, a module's
      ``__init__`` and ``forward``.

    A forbidden torch call raises at once; one the reader's code catches, and every forbidden
    Python call, still fails the block when it ends. The mode and the hook are removed when the
    block ends, even when it raises. Put only the reader's call in the block: the test's own
    reference computation belongs outside.

    To check a backward pass written without autograd, run the forward pass first, then call the
    reader's ``backward`` through the output's node (for an autograd Function, ``grad_fn`` is the
    ``ctx`` its forward filled), so that the test itself calls no forbidden ``backward()``::

        out = LinearFunction.apply(x, w, b)
        with forbid("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward"):
            grad_x, grad_w, grad_b = out.grad_fn.apply(torch.ones_like(out))
    """
    if not names:
        raise ValueError("forbid needs at least one name, such as 'torch.softmax'")
    if not isinstance(rule, str) or not rule.strip():
        raise TypeError(f"rule must be a non-empty str, got {rule!r}")
    ops: dict[int, tuple[object, str]] = {}  # id -> (torch callable, its dotted name)
    codes: dict[object, str] = {}  # code object -> the dotted name of its function or class
    for name in names:
        obj = _resolve(name)
        if not callable(obj):
            raise TypeError(f"forbid: {name!r} is not a function or class")
        found = _spellings(name, obj) if name.split(".")[0] == "torch" else {id(obj): (obj, name)}
        ops.update(found)
        codes.update({code: shown for o, shown in found.values() for code in _code_objects(o)})
    calls: list[str] = []

    def refuse(shown: str, now: bool = False) -> None:
        calls.append(shown)
        if now:
            raise AssertionError(f"the answer calls {shown}, which this exercise does not allow: {rule}")

    previous = sys.getprofile()

    def hook(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            refuse(codes[frame.f_code])
        if getattr(previous, "_nnbasics_forbid", False):  # an enclosing forbid keeps watching
            previous(frame, event, arg)

    hook._nnbasics_forbid = True
    try:
        if codes:
            sys.setprofile(hook)
        with _ForbiddenMode(ops, refuse):
            yield
    finally:
        if codes:
            sys.setprofile(previous)
    if calls:
        raise AssertionError(f"the answer calls {calls[0]}, which this exercise does not allow: {rule}")
