"""Small helpers every chapter uses: reproducible runs, evaluation mode, and showing the library's
own source.

Introduced in the chapter "Activation functions" and used in every chapter after it.
"""

from __future__ import annotations

import inspect
import os
import random
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nnbasics._checks import check_int

__all__ = ["Source", "evaluating", "reproducible", "show_source"]


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
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
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

