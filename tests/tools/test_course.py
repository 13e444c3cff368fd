"""Tests of the course tooling (tools/nnbasics_course): the table of contents, leak detection,
site checks, autograding."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nnbasics_course.grading import autograde
from nnbasics_course.leaks import SOLUTION_MARKERS, find_leaks, marked_lines, secret_lines
from nnbasics_course.release import release
from nnbasics_course.site_check import check_site, glossary_links, images_without_alt
from nnbasics_course.toc import exercise_chapters, toc_files, toc_notebooks

SOLUTION = """def double(x):
    ### BEGIN SOLUTION
    result = 2 * x  # the secret
    return result
    ### END SOLUTION
"""
HIDDEN = """### BEGIN HIDDEN TESTS
assert double(21) == 42
### END HIDDEN TESTS
"""


def nbgrader_meta(grade_id, *, solution=False, points=0):
    meta = {"grade": points > 0, "grade_id": grade_id, "locked": points > 0,
            "schema_version": 3, "solution": solution, "task": False}
    if points:
        meta["points"] = points
    return {"nbgrader": meta}


def exercises_notebook(path: Path, solution: str = SOLUTION, hidden: str = HIDDEN) -> Path:
    nb = new_notebook(cells=[
        new_markdown_cell("# Demo exercises"),
        new_markdown_cell("```{solution-start} demo-ex\n:class: dropdown\n```"),
        new_code_cell(solution, metadata=nbgrader_meta("double", solution=True)),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell("assert double(1) == 2\nprint('visible tests passed')",
                      metadata=nbgrader_meta("double-tests", points=1)),
        new_code_cell(hidden, metadata={**nbgrader_meta("double-hidden", points=2),
                                        "tags": ["remove-cell"]}),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: book/demo/demo\n        sections:\n          - file: book/demo/exercises\n"
    )
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    exercises_notebook(tmp_path / "book" / "demo" / "exercises.ipynb")
    nbformat.write(new_notebook(), tmp_path / "book" / "demo" / "demo.ipynb")
    return tmp_path


def test_toc_lists_files_in_order_with_their_suffix(root):
    assert [p.relative_to(root).as_posix() for p in toc_files(root)] == [
        "book/intro.md", "book/demo/demo.ipynb", "book/demo/exercises.ipynb",
    ]
    assert [p.name for p in toc_notebooks(root)] == ["demo.ipynb", "exercises.ipynb"]
    assert exercise_chapters(root) == ["demo"]


def test_toc_names_a_missing_file(root):
    (root / "book" / "intro.md").unlink()
    with pytest.raises(FileNotFoundError, match=r"_toc\.yml names 'book/intro'"):
        toc_files(root)


def test_marked_lines_and_secret_lines(root):
    assert marked_lines(SOLUTION, SOLUTION_MARKERS) == [
        "result = 2 * x  # the secret", "return result",
    ]
    secrets = secret_lines(root / "book" / "demo" / "exercises.ipynb")
    assert secrets == {"solution": ["result = 2 * x  # the secret", "return result"],
                       "hidden test": ["assert double(21) == 42"]}


def test_secret_lines_leave_out_lines_the_notebook_shows_anyway(tmp_path):
    # a "debug this" exercise hands out the broken loop, which shares lines with its fix
    broken = "def train(model):\n    loss.backward()\n    opt.step()\n"
    fixed = ("def train(model):\n    ### BEGIN SOLUTION\n    opt.zero_grad()\n    loss.backward()\n"
             "    opt.step()\n    ### END SOLUTION\n")
    nb = new_notebook(cells=[new_markdown_cell("```python\n" + broken + "```"),
                             new_code_cell(fixed, metadata=nbgrader_meta("train", solution=True))])
    nbformat.write(nb, tmp_path / "debug.ipynb")
    assert secret_lines(tmp_path / "debug.ipynb") == {"solution": ["opt.zero_grad()"],
                                                      "hidden test": []}


def test_find_leaks_finds_a_copied_solution_line(root, tmp_path):
    source = root / "book" / "demo" / "exercises.ipynb"
    stub = "def double(x):\n    raise NotImplementedError()"
    clean = exercises_notebook(tmp_path / "clean.ipynb", stub, hidden="")
    assert find_leaks(source, clean) == []
    leaky = exercises_notebook(tmp_path / "leaky.ipynb", "def double(x):\n    return result")
    leaks = find_leaks(source, leaky)
    assert [(leak.kind, leak.line) for leak in leaks] == [("solution", "return result"),
                                                         ("hidden test", "assert double(21) == 42")]


CHAPTER_PAGE = ('<p>A <a href="../glossary.html#term-neuron">neuron</a> and its plot:</p>'
                '<img src="../../_images/0a1b.png" alt="A line rising from left to right"/>')


def write_site(html_dir: Path, exercise_page: str) -> None:
    (html_dir / "book" / "demo").mkdir(parents=True)
    (html_dir / "book" / "intro.html").write_text("<p>intro</p>")
    (html_dir / "book" / "demo" / "demo.html").write_text(CHAPTER_PAGE)
    (html_dir / "book" / "demo" / "exercises.html").write_text(exercise_page)


def test_check_site_accepts_solutions_in_dropdowns(root, tmp_path):
    html = tmp_path / "html"
    write_site(html, '<div class="solution dropdown admonition"><pre>return result</pre></div>')
    assert check_site(root, html) == []


def test_check_site_student_build_allows_no_solution_at_all(root, tmp_path):
    html = tmp_path / "html"
    write_site(html, '<div class="solution dropdown admonition"><pre>return result</pre></div>')
    problems = check_site(root, html, student=True)
    assert problems == ["book/demo/exercises.html: demo solution line 'return result' is visible"]


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ("<pre>return result</pre>", "solution line 'return result' is visible"),
        ('<div class="solution admonition"><pre>x</pre></div>', "not in a collapsed dropdown"),
        ('<div class="solution dropdown"><pre>assert double(21) == 42</pre></div>',
         "hidden test line 'assert double(21) == 42' is visible"),
    ],
)
def test_check_site_finds_leaks(root, tmp_path, page, problem):
    html = tmp_path / "html"
    write_site(html, page)
    problems = check_site(root, html)
    assert len(problems) == 1 and problem in problems[0]


def test_check_site_finds_missing_pages_and_published_sources(root, tmp_path):
    html = tmp_path / "html"
    write_site(html, "<p>ok</p>")
    (html / "book" / "demo" / "demo.html").unlink()
    (html / "_sources").mkdir()
    (html / "book" / "demo" / "exercises.ipynb").write_text("{}")
    problems = check_site(root, html)
    assert "book/demo/demo.ipynb has no page book/demo/demo.html" in problems
    assert "_sources/ is published: set html_copy_source: false" in problems
    assert "book/demo/exercises.ipynb is published" in problems


def test_images_without_alt_finds_missing_empty_and_file_name_alt_text():
    html = """<img src="a.png" alt="A bar chart of ten classes">
              <img src="b.png">
              <img src="c.png" alt="  ">
              <img src="../../_images/d.png" alt="../../_images/d.png">
              <img src="e.svg" alt="e.svg">"""
    assert images_without_alt(html) == ["b.png", "c.png", "../../_images/d.png", "e.svg"]
    assert images_without_alt(CHAPTER_PAGE) == []


def test_glossary_links_counts_links_to_glossary_terms():
    html = """<a href="../glossary.html#term-neuron">neuron</a> <a href="glossary.html#term-bias">b</a>
              <a href="../glossary.html">the navigation bar's link to the page</a>
              <a href="../intro.html#term-x">intro</a> <a href="#term-bias">an anchor here</a> <a>none</a>"""
    assert glossary_links(html) == 2
    assert glossary_links("<p>no links</p>") == 0


def test_check_site_wants_alt_text_everywhere_and_glossary_links_in_chapters(root, tmp_path):
    html = tmp_path / "html"
    write_site(html, '<img src="x.png" alt="x.png">')  # exercises need no glossary link
    (html / "book" / "demo" / "demo.html").write_text('<img src="../../_images/f.png">')
    (html / "book" / "intro.html").write_text("<p>no glossary link needed here</p>")
    assert check_site(root, html) == [
        "book/demo/demo.html: image ../../_images/f.png has no alt text (set mystnb.image.alt in "
        "the cell's metadata)",
        "book/demo/demo.html: no link into the glossary (link each term's first use with {term})",
        "book/demo/exercises.html: image x.png has no alt text (set mystnb.image.alt in the cell's "
        "metadata)",
    ]


def test_release_and_autograde_into_a_csv(root, tmp_path):
    released = release(root)["demo"]
    text = released.read_text()
    assert "raise NotImplementedError()" in text and "solution-start" not in text
    assert "return result" not in text and "double(21)" not in text

    submissions = tmp_path / "submissions"
    exercises_notebook(submissions / "ada" / "demo" / "exercises.ipynb",
                       "def double(x):\n    return x + x", hidden="")
    exercises_notebook(submissions / "bob" / "demo" / "exercises.ipynb",
                       "def double(x):\n    return 2", hidden="")
    (submissions / "eve" / "demo").mkdir(parents=True)
    nbformat.write(nbformat.read(released, as_version=4), submissions / "eve" / "demo" / "exercises.ipynb")
    grades = tmp_path / "grades.csv"
    autograde(root, submissions, grades)
    with grades.open() as f:
        rows = list(csv.DictReader(f))
    graded = {"status": "graded", "reason": ""}
    assert rows == [
        {"student": "ada", "chapter": "demo", "score": "3", "max_score": "3", **graded},
        {"student": "bob", "chapter": "demo", "score": "1", "max_score": "3", **graded},  # visible only
        {"student": "eve", "chapter": "demo", "score": "0", "max_score": "3", **graded},
    ]
    # the batch has its own folder under _build/grading; the release left the gradebook alone
    (batch,) = (root / "_build" / "grading").iterdir()
    assert (batch / "grades.csv").read_text() == grades.read_text()
    gradebook = root / "_build" / "nbgrader" / "gradebook.db"
    stamp = gradebook.stat().st_mtime_ns
    (root / "_build" / "nbgrader" / "feedback").mkdir()
    release(root)
    assert gradebook.exists() and (root / "_build" / "nbgrader" / "feedback").is_dir()
    assert gradebook.stat().st_mtime_ns >= stamp


def test_autograde_reports_an_unknown_chapter_and_a_missing_folder(root, tmp_path):
    exercises_notebook(tmp_path / "subs" / "ada" / "nochapter" / "exercises.ipynb")
    rows = autograde(root, tmp_path / "subs", tmp_path / "grades.csv")
    assert [(r["student"], r["chapter"], r["score"], r["status"]) for r in rows] == [
        ("ada", "nochapter", "0", "failed")]
    assert "wrong folder layout: ada/nochapter/exercises.ipynb" in rows[0]["reason"]
    rows = autograde(root, tmp_path / "empty", tmp_path / "grades.csv")
    assert rows[0]["status"] == "failed" and "is not a folder" in rows[0]["reason"]
    assert "is not a folder" in (tmp_path / "grades.csv").read_text()


def test_check_site_does_not_count_a_line_the_library_publishes(root, tmp_path):
    # `return result` is a solution line of the demo exercise; once the library's own source holds
    # it (the API page shows docstrings and sources), a page showing it leaks nothing.
    html = tmp_path / "html"
    write_site(html, "<pre>return result</pre>")
    assert any("'return result' is visible" in p for p in check_site(root, html))
    (root / "src" / "nnbasics").mkdir(parents=True)
    (root / "src" / "nnbasics" / "demo.py").write_text("def f(result):\n    return result\n")
    assert not any("'return result' is visible" in p for p in check_site(root, html))
