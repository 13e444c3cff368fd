"""The table of contents and the notebooks: which files ``_toc.yml`` names, which chapters have
exercises, and re-running notebooks in place (``python -m nnbasics_course notebooks``, ``execute``).

A chapter's exercises are ``book/<chapter>/exercises.ipynb`` (`EXERCISES`), an nbgrader source
notebook: see `nnbasics_course.leaks` for its markers and `nnbasics_course.release` for its release.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["EXERCISES", "execute", "exercise_chapters", "exercises_notebook", "toc_files", "toc_notebooks"]

EXERCISES = "exercises.ipynb"


def toc_files(root: Path) -> list[Path]:
    """Every file named in ``root/_toc.yml``, in order, with its real suffix."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    names.append(str(node[key]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []):
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    files = []
    for name in names:
        matches = [root / f"{name}{s}" for s in (".ipynb", ".md") if (root / f"{name}{s}").exists()]
        if not matches:
            raise FileNotFoundError(f"_toc.yml names {name!r}, but no {name}.ipynb or .md exists")
        files.append(matches[0])
    return files


def toc_notebooks(root: Path) -> list[Path]:
    """The notebooks of the book, in table-of-contents order."""
    return [p for p in toc_files(root) if p.suffix == ".ipynb"]


def exercise_chapters(root: Path) -> list[str]:
    """Chapter folders (relative to ``book/``) whose exercises notebook is in the book."""
    book = root / "book"
    return [p.parent.relative_to(book).as_posix() for p in toc_notebooks(root) if p.name == EXERCISES]


def exercises_notebook(root: Path, chapter: str) -> Path:
    """The instructor's exercises notebook of ``chapter``: ``book/<chapter>/exercises.ipynb``."""
    return root / "book" / chapter / EXERCISES


def execute(paths: Iterable[Path], timeout: int = 600) -> None:
    """Re-run each notebook from a fresh kernel and store its outputs in place.

    Progress bars are switched off in the kernel (``TQDM_DISABLE=1``): a stored bar would show the
    book's reader a frozen ``0%`` widget; a reader's own JupyterLab still shows live bars.
    """
    import os

    import nbformat
    from nbclient import NotebookClient

    os.environ["TQDM_DISABLE"] = "1"  # the kernels started below inherit it
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            store_widget_state=False,  # the book renders no live widget; keep diffs small
            resources={"metadata": {"path": str(path.parent)}},
        )
        print(f"executing {path}", flush=True)
        client.execute()
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)
