"""The student release and the instructor checks, with nbgrader
(``python -m nnbasics_course release``, ``verify``).

nbgrader works in a course folder under ``_build/nbgrader`` (`NBGRADER`) that this module fills
from ``book/``, so the book stays the one source. Grading itself is `nnbasics_course.grading`'s.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

from .leaks import find_leaks
from .toc import EXERCISES, exercise_chapters, exercises_notebook

__all__ = ["NBGRADER", "release", "verify"]

NBGRADER = Path("_build") / "nbgrader"  # the course folder, relative to the repository
INSTRUCTOR, UNTOUCHED = "instructor-solution", "untouched-release"


def _api(course_dir: Path):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course_dir)
    config.CourseDirectory.db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    # Only notebooks belong in a release: no data, no caches, no solutions in side files.
    config.CourseDirectory.ignore = [
        ".ipynb_checkpoints", "__pycache__", "*.pyc", "*.py", "*.db", "*.csv", "*.md", "feedback",
    ]
    config.Exchange.root = str(course_dir / "exchange")  # not the system-wide default
    config.Execute.timeout = 300
    # nbgrader runs the `alembic` and `jupyter` commands of this environment.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    config.NbGraderAPI.log_level = "WARN"
    return NbGraderAPI(config=config)


@contextmanager
def _quiet_nbgrader():
    # nbgrader's gradebook triggers SQLAlchemy "not in session" warnings that are harmless noise.
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('log', '')}{result.get('error', '')}")


def release(root: Path, course_dir: Path | None = None) -> dict[str, Path]:
    """Generate the student release of every chapter's exercises; return chapter -> notebook.

    Each chapter's ``source/`` and ``release/`` folders in the course folder (default
    ``_build/nbgrader``) are regenerated from ``book/``, so the release always matches the book;
    nothing else there (gradebook, submissions, feedback) is touched. Raises ``RuntimeError`` if
    a solution line leaks into it.
    """
    course_dir = course_dir or root / NBGRADER
    api = _api(course_dir)
    released = {}
    for chapter in exercise_chapters(root):
        for folder in ("source", "release"):
            shutil.rmtree(course_dir / folder / chapter, ignore_errors=True)
        source = course_dir / "source" / chapter / EXERCISES
        source.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exercises_notebook(root, chapter), source)
        with _quiet_nbgrader():
            _check(api.generate_assignment(chapter), f"generate_assignment {chapter}")
        out = course_dir / "release" / chapter / EXERCISES
        _drop_book_markers(out)
        leaks = find_leaks(source, out)
        if leaks:
            raise RuntimeError("the release leaks:\n" + "\n".join(map(str, leaks)))
        released[chapter] = out
    return released


def _drop_book_markers(nb_path: Path) -> None:
    """Remove the book's ``solution-start``/``solution-end`` cells: students see no empty dropdown."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    marker = re.compile(r"^\s*```\{solution-(start|end)\}[^`]*```\s*$", re.S)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and marker.match(c.source))]
    nbformat.write(nb, nb_path)



def verify(root: Path) -> list[str]:
    """The instructor checks, for every chapter with exercises; returns the problems found.

    Works on a scratch copy (a temporary course folder and batch folder): nothing an instructor
    has in ``_build/`` is touched.
    """
    import tempfile

    from . import grading

    problems = []
    with tempfile.TemporaryDirectory(prefix="nnbasics-verify-") as tmp:
        released = release(root, Path(tmp) / "course")  # raises on a leak
        submissions = {}
        for chapter, notebook in released.items():
            submissions[(INSTRUCTOR, chapter)] = exercises_notebook(root, chapter)
            submissions[(UNTOUCHED, chapter)] = notebook
        rows = grading.grade_batch(root, None, Path(tmp) / "batch", submissions=submissions,
                                   feedback=False, hide=[Path(tmp) / "course"])
    scores = {(r["student"], r["chapter"]): r for r in rows}
    for chapter in released:
        row = scores[INSTRUCTOR, chapter]
        got, total = float(row["score"]), float(row["max_score"])
        print(f"{chapter}: instructor's notebook {got:g}/{total:g}", end="; ")
        if total <= 0 or got != total or row["status"] != "graded":
            problems.append(f"{chapter}: the instructor's notebook scored {got:g}/{total:g} {row['reason']}")
        row = scores[UNTOUCHED, chapter]
        got, total = float(row["score"]), float(row["max_score"])
        print(f"untouched release {got:g}/{total:g}; release leaks no solution line")
        if got != 0 or row["status"] != "graded":
            problems.append(f"{chapter}: the untouched release scored {got:g}/{total:g}, not 0 "
                            f"{row['reason']}")
    return problems
