"""The built book's launch links: no placeholder hub anywhere, and every exercises page launches the
student release of its notebook, never the instructor's copy with solutions (make build-check first)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nnbasics_course.toc import exercise_chapters

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("NNBASICS_HTML") or ROOT / "_build" / "html")


@pytest.fixture(scope="module")
def html() -> Path:
    if not (HTML / "index.html").exists():
        pytest.fail(f"build the book first (no {HTML / 'index.html'})")
    return HTML


def test_the_built_book_has_no_placeholder_hub(html: Path) -> None:
    pages = list(html.rglob("*.html"))
    assert len(pages) > 30
    for page in pages:
        assert "example.org" not in page.read_text(), page


@pytest.mark.parametrize("chapter", exercise_chapters(ROOT))
def test_each_exercises_page_launches_the_student_notebook(html: Path, chapter: str) -> None:
    text = (html / "book" / chapter / "exercises.html").read_text()
    assert f"student/{chapter}/exercises.ipynb" in text
    assert f"book/{chapter}/exercises.ipynb" not in text
