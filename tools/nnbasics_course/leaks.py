"""Solutions and leaks: the lines an exercises notebook keeps secret, and where they leak.

An exercises notebook's solution cells hold ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` and its
hidden test cells ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` (`SOLUTION_MARKERS`,
`HIDDEN_MARKERS`). The release (`nnbasics_course.release`) and the site check
(`nnbasics_course.site_check`) look for those lines where students can read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HIDDEN_MARKERS", "SOLUTION_MARKERS", "Leak", "find_leaks", "marked_lines", "secret_lines"]

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def marked_lines(source: str, markers: tuple[str, str]) -> list[str]:
    """The stripped, non-blank lines strictly between each pair of ``markers`` in ``source``."""
    begin, end = markers
    lines, inside = [], False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith(begin):
            inside = True
        elif text.startswith(end):
            inside = False
        elif inside and text:
            lines.append(text)
    return lines


def _sources(nb_path: Path, cell_type: str | None = "code") -> list[str]:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    return [cell.source for cell in nb.cells if cell_type in (None, cell.cell_type)]


def secret_lines(nb_path: Path) -> dict[str, list[str]]:
    """The solution lines and hidden-test lines of an nbgrader source notebook.

    Lines of punctuation alone (a closing ``}``) say nothing and are left out, and so are lines
    the notebook also shows outside every marked region (a "debug this" exercise hands out the
    broken code, which shares most lines with its fix).
    """
    sources = _sources(nb_path)
    public = set()
    for s in _sources(nb_path, None):
        inside = False
        for line in s.splitlines():
            text = line.strip()
            if text.startswith((SOLUTION_MARKERS[0], HIDDEN_MARKERS[0])):
                inside = True
            elif text.startswith((SOLUTION_MARKERS[1], HIDDEN_MARKERS[1])):
                inside = False
            elif not inside:
                public.add(text)
    return {
        kind: [ln for s in sources for ln in marked_lines(s, markers)
               if re.search(r"\w", ln) and ln not in public]
        for kind, markers in (("solution", SOLUTION_MARKERS), ("hidden test", HIDDEN_MARKERS))
    }


@dataclass(frozen=True)
class Leak:
    """A secret line found where students can read it."""

    kind: str
    line: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} line {self.line!r} found in {self.where}"


def find_leaks(source_nb: Path, released_nb: Path) -> list[Leak]:
    """Every solution or hidden-test line of ``source_nb`` that appears in ``released_nb``.

    Every cell of the release is searched, code and markdown, line by line.
    """
    released = {ln.strip() for s in _sources(released_nb, None) for ln in s.splitlines()}
    return [
        Leak(kind, line, str(released_nb))
        for kind, lines in secret_lines(source_nb).items()
        for line in lines
        if line in released
    ]
