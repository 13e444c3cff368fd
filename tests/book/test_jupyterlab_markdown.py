"""The notebooks' Markdown renders in JupyterLab too (issue 18 item 5), where jupyterlab-myst
(pinned in requirements.txt, installed by `make lab` and Binder) renders MyST instead of Sphinx.

Measured in JupyterLab 4.6 with jupyterlab-myst 2.7 (headless Chromium, every cell of
regularization, conv, capstone and the losses exercises): {term}, {doc}, {numref} and {zh} roles,
figures, exercises and display math render; a role inside a directive's title line does not:

    ```{admonition} {zh}`对照中文资料` / From the Chinese sources

shows the whole block as raw text ("```{admonition} ... :class: note ..."). The book marks Chinese
written without the role as lang="zh" when it is built (book/_ext/nnbasics_layout.py), so a title
keeps its Chinese plainly. This checks the sources stay within what renders in both places.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from nnbasics_layout import CJK_RUN  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*/*.ipynb"))
DIRECTIVE_LINE = re.compile(r"^\s*(`{3,}|:{3,})\{[a-z-]+\}(?P<argument>.*)$", re.M)
ROLE = re.compile(r"\{[a-z:-]+\}`")


def directive_titles_with_a_role(markdown: str) -> list[str]:
    return [m.group(0).strip() for m in DIRECTIVE_LINE.finditer(markdown) if ROLE.search(m.group("argument"))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "book").as_posix())
def test_no_role_in_a_directive_title(path: Path) -> None:
    cells = nbformat.read(path, as_version=4).cells
    found = [t for c in cells if c.cell_type == "markdown" for t in directive_titles_with_a_role(c.source)]
    assert not found, f"jupyterlab-myst shows these blocks as raw text; drop the role: {found}"


def test_the_check_catches_a_role_in_a_title() -> None:
    assert directive_titles_with_a_role("```{admonition} {zh}`对照` / Sources\n:class: note\ntext\n```\n")
    assert directive_titles_with_a_role(":::{note} See {term}`loss`\n:::\n")
    assert not directive_titles_with_a_role("```{admonition} 对照 / Sources\nA {zh}`中文` role.\n```\n")


def test_chinese_runs_are_found_for_marking() -> None:
    runs = [m.group(0) for m in CJK_RUN.finditer("对照中文资料 / From the sources, 卷积层.")]
    assert runs == ["对照中文资料", "卷积层"]
    assert not CJK_RUN.search("plain English, 3×3 · 5,000")
