"""What a learner launches: the notebooks' install cell, and the student copies of the exercises.

- :func:`launch_cell_source`: the first code cell of every notebook of ``_toc.yml``. Where
  ``nnbasics`` (or one of the notebooks' extra packages) is missing (Colab, Binder, a new
  environment) it installs the course at the book's version, without replacing the host's torch
  (``--no-deps``), and the small extras by name, then says so in one line; where everything is
  installed it does nothing and prints nothing. ``NNBASICS_SOURCE`` overrides where the course
  comes from (a checkout, a wheel); the default is the repository at the tag ``v<version>``.
- :func:`add_launch_cell`: insert (or refresh) that cell in a notebook, keeping every other cell.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

from .toc import EXERCISES

__all__ = ["EXTRAS", "LAUNCH_TAG", "add_launch_cell", "book_version", "launch_cell_source"]

LAUNCH_TAG = "nnbasics-launch"
# import name -> distribution name: what the notebooks (or nnbasics.capstone) import beyond
# nnbasics' own dependencies, which hosted services (Colab) lack.
# Altair is a dependency of nnbasics that the launch cell's --no-deps install skips; not 6, which
# writes Vega-Lite 6, which JupyterLab 4.6 does not draw.
EXTRAS = {"mnist1d": "mnist1d", "mlxtend": "mlxtend", "torchinfo": "torchinfo", "sklearn": "scikit-learn",
          "altair": "altair<6"}


def book_version(root: Path) -> str:
    """The course's version: ``version`` in ``root/pyproject.toml``."""
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def repository_url(root: Path) -> str:
    """The repository's address, set once in ``_config.yml``."""
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]


def launch_cell_source(version: str, repository: str) -> str:
    """The source of the launch cell for the course at ``version`` from ``repository``."""
    extras = ", ".join(f'"{mod}": "{dist}"' for mod, dist in EXTRAS.items())
    return f'''\
# On Colab, Binder or a new environment: install the course (nnbasics {version}) once. Elsewhere: nothing.
import importlib.util, os, subprocess, sys
_extras = {{{extras}}}
_missing = [dist for mod, dist in _extras.items() if importlib.util.find_spec(mod) is None]
if importlib.util.find_spec("nnbasics") is None or _missing:
    _pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if importlib.util.find_spec("nnbasics") is None:  # --no-deps: keep the host's torch
        _source = os.environ.get("NNBASICS_SOURCE", "git+{repository}@v{version}")
        _course = [*_pip, "--no-deps", _source]
        # build with the kernel's setuptools (offline); an old bare venv's cannot: pip's own build env
        if subprocess.run([*_course, "--no-build-isolation"], capture_output=True).returncode:
            subprocess.run(_course, check=True)
    if _missing:
        subprocess.run([*_pip, *_missing], check=True)
    importlib.invalidate_caches()
    print("Installed nnbasics {version} and its extras into this kernel.")'''


def add_launch_cell(nb_path: Path, source: str) -> bool:
    """Insert the launch cell after the notebook's title cell, or refresh it; True if changed.

    The cell is tagged ``remove-cell`` (the book does not show it; a launched notebook does) and
    stored as if executed with nothing printed.
    """
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if LAUNCH_TAG in cell.metadata.get("tags", []):
            if cell.source == source:
                return False
            cell.source = source
            break
    else:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = [LAUNCH_TAG, "remove-cell"]
        cell.execution_count = 1
        cell.outputs = []
        start = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
        nb.cells.insert(start, cell)
    nbformat.write(nb, nb_path)
    return True


def launch_version(source: str) -> str | None:
    """The version a launch cell's source installs, or None if it names none."""
    match = re.search(r"@v([^\"']+)\"", source)
    return match.group(1) if match else None


# --- The student copies of the exercises -----------------------------------------------------------

_NOT_COPIED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "_build")  # copying book/
STUDENT_DIR = "student"  # the committed student release: student/<chapter>/exercises.ipynb
SELF_CHECK_TAG = "nnbasics-self-check"


def book_url(root: Path) -> str:
    """Where the book is published (GitHub Pages of the repository set in ``_config.yml``)."""
    owner, name = repository_url(root).rstrip("/").split("/")[-2:]
    return f"https://{owner}.github.io/{name}"


def _self_check_cell(root: Path, chapter: str):
    import nbformat

    url = f"{book_url(root)}/book/{chapter}/exercises.html"
    cell = nbformat.v4.new_markdown_cell(
        "**Check yourself:** run all cells (*Run ▸ Run All Cells*); every visible test cell runs "
        "silently when your answer is right (your instructor's tests check more cases). "
        f"Stuck? [Show the solution]({url}): each one is collapsed under its exercise in the book."
    )
    cell.id = SELF_CHECK_TAG  # a fixed id: regenerating gives the same file
    cell.metadata["tags"] = [SELF_CHECK_TAG]
    return cell


def student_exercises(root: Path, scratch: Path) -> dict[str, Path]:
    """The student release of every chapter's exercises, made by nbgrader in ``scratch``.

    Calls :func:`nnbasics_course.release.release` on a copy of the book in ``scratch`` (never in the
    checkout's ``_build/nbgrader``), then adds the self-check note after each title.
    """
    import nbformat

    from nnbasics_course.release import release

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    shutil.copyfile(root / "_toc.yml", scratch / "_toc.yml")
    shutil.copytree(root / "book", scratch / "book", ignore=_NOT_COPIED)
    released = release(scratch)
    for chapter, path in released.items():
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(1, _self_check_cell(root, chapter))
        nbformat.write(nb, path)
    return released


def publish(root: Path, scratch: Path) -> list[Path]:
    """Regenerate the committed ``student/<chapter>/exercises.ipynb``; return the written files."""
    released = student_exercises(root, scratch)
    out = root / STUDENT_DIR
    shutil.rmtree(out, ignore_errors=True)
    written = []
    for chapter, path in released.items():
        dest = out / chapter / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        written.append(dest)
    return written


def lab(root: Path, dest: Path) -> Path:
    """Fill ``dest`` with the book for learners: chapters as in ``book/``, exercises from ``student/``."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(root / "book", dest, ignore=_NOT_COPIED)
    student = root / STUDENT_DIR
    for path in sorted(student.glob(f"*/{EXERCISES}")):
        shutil.copyfile(path, dest / path.relative_to(student))
    return dest


def main(argv: list[str] | None = None) -> int:
    """``python -m nnbasics_course.student lab DEST`` or ``publish [SCRATCH]``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    root = Path.cwd()
    if args[:1] == ["lab"] and len(args) == 2:
        print(f"the course for learners (student exercises) is in {lab(root, Path(args[1]))}")
        return 0
    if args[:1] == ["publish"]:
        scratch = Path(args[1]) if len(args) > 1 else root / "_build" / "student-scratch"
        for path in publish(root, scratch):
            print(path.relative_to(root))
        return 0
    print("usage: python -m nnbasics_course.student lab DEST | publish [SCRATCH]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
