"""The student copies of the exercises (``student/``) and ``make lab``'s folder for learners."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from nnbasics_course.leaks import HIDDEN_MARKERS, SOLUTION_MARKERS, find_leaks, secret_lines
from nnbasics_course.student import LAUNCH_TAG, SELF_CHECK_TAG, STUDENT_DIR, book_url, lab, student_exercises
from nnbasics_course.toc import exercise_chapters

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = exercise_chapters(ROOT)


def _student(chapter: str) -> Path:
    return ROOT / STUDENT_DIR / chapter / "exercises.ipynb"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_student_copy_has_no_solution_or_hidden_test(chapter: str) -> None:
    text = _student(chapter).read_text()
    for marker in (*SOLUTION_MARKERS, *HIDDEN_MARKERS):
        assert marker not in text
    assert find_leaks(ROOT / "book" / chapter / "exercises.ipynb", _student(chapter)) == []
    secrets = secret_lines(ROOT / "book" / chapter / "exercises.ipynb")
    assert any(secrets.values()), "the instructor's notebook must have secrets to hide"
    sources = "\n".join(c.source for c in nbformat.read(_student(chapter), as_version=4).cells)
    for line in (line for lines in secrets.values() for line in lines):
        assert line not in sources.splitlines(), f"leaked: {line!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_student_copy_keeps_visible_tests_and_links_the_solution(chapter: str) -> None:
    cells = nbformat.read(_student(chapter), as_version=4).cells
    tags = [t for c in cells for t in c.metadata.get("tags", [])]
    assert LAUNCH_TAG in tags and SELF_CHECK_TAG in tags
    check = next(c for c in cells if SELF_CHECK_TAG in c.metadata.get("tags", []))
    assert f"({book_url(ROOT)}/book/{chapter}/exercises.html)" in check.source
    graded = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    visible = [c for c in graded if c.source.strip()]  # hidden-test cells are emptied
    assert visible and all("assert" in c.source for c in visible)


def test_the_committed_student_copies_are_current(tmp_path: Path) -> None:
    fresh = student_exercises(ROOT, tmp_path / "scratch")
    assert sorted(fresh) == sorted(CHAPTERS)
    for chapter, path in fresh.items():
        assert json.loads(path.read_text()) == json.loads(_student(chapter).read_text()), (
            f"student/{chapter} is stale: run python -m nnbasics_course.student publish")


def test_lab_folder_has_chapters_and_only_student_exercises(tmp_path: Path) -> None:
    dest = lab(ROOT, tmp_path / "lab")
    for chapter in CHAPTERS:
        assert (dest / chapter / "exercises.ipynb").read_bytes() == _student(chapter).read_bytes()
    notebooks = list(dest.rglob("*.ipynb"))
    assert len(notebooks) >= len(CHAPTERS) * 2
    for nb in notebooks:
        assert SOLUTION_MARKERS[0] not in nb.read_text(), nb
