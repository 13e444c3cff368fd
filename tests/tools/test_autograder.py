"""The autograder against adversarial students (issue 23): one tiny synthetic chapter, a batch of
submissions that loop, crash, kill their kernel, are not JSON, edit the test cells, monkeypatch
the checks, read the instructor's source or sit in the wrong folder. The batch must finish with a
CSV, every honest student must get the right score, and no cheat may earn a point."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nnbasics_course import grading

DOUBLE = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x  # secret-double\n    ### END SOLUTION\n"
HALVE = ("import torch\ndef halve(t):\n    ### BEGIN SOLUTION\n    return t / 2  # secret-halve\n"
         "    ### END SOLUTION\n")
TESTS = {
    "double-tests": (1, "assert double(1) == 2\nprint('visible tests passed')"),
    "double-hidden": (2, "### BEGIN HIDDEN TESTS\nassert double(21) == 42\nassert double(0.5) == 1.0\n"
                         "### END HIDDEN TESTS"),
    "halve-hidden": (2, "### BEGIN HIDDEN TESTS\nimport torch\n"
                        "torch.testing.assert_close(halve(torch.tensor([2.0, 4.0])),\n"
                        "                           torch.tensor([1.0, 2.0]))\n"
                        "### END HIDDEN TESTS"),
}


def meta(grade_id, *, solution=False, points=0):
    m = {"grade": points > 0, "grade_id": grade_id, "locked": points > 0, "schema_version": 3,
         "solution": solution, "task": False}
    if points:
        m["points"] = points
    return {"nbgrader": m}


def notebook(double=DOUBLE, halve=HALVE, tests=None) -> nbformat.NotebookNode:
    tests = TESTS if tests is None else tests
    cells = [new_markdown_cell("# Demo"), new_code_cell("import math"),
             new_code_cell(double, metadata=meta("double", solution=True)),
             new_code_cell(halve, metadata=meta("halve", solution=True))]
    cells += [new_code_cell(src, metadata=meta(gid, points=pts)) for gid, (pts, src) in tests.items()]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/demo/exercises\n")
    (root / "book" / "demo").mkdir(parents=True)
    (root / "book" / "intro.md").write_text("# Intro\n")
    nbformat.write(notebook(), root / "book" / "demo" / "exercises.ipynb")
    return root


WRONG = "def double(x):\n    return 2\n"
GOOD_HALVE = "def halve(t):\n    return t / 2\n"
STUDENTS = {
    # name: (double cell, halve cell, expected score, expected status)
    "ada-correct": ("def double(x):\n    return x + x\n", "def halve(t):\n    return t * 0.5\n", 5, "graded"),
    "bob-wrong": (WRONG, HALVE.replace("t / 2", "t / 3"), 1, "graded"),
    "cal-loop": ("def double(x):\n    while True:\n        pass\n", GOOD_HALVE, 2, "graded"),
    "dan-crash": ("def double(x):\n    raise ValueError('no')\n", GOOD_HALVE, 2, "graded"),
    "eve-dead-kernel": ("import os\nos._exit(1)\n", HALVE, 0, "failed"),
    "fay-monkeypatch": (
        "import torch\ntorch.testing.assert_close = lambda *a, **k: None\n"
        "class Yes(float):\n    def __eq__(self, other):\n        return True\n    __ne__ = __eq__\n"
        "def double(x):\n    return Yes(0)\n",
        "def halve(t):\n    import torch\n    torch.testing.assert_close = lambda *a, **k: None\n"
        "    return None\n",
        0, "graded"),
    "gus-read-source": (  # without the sandbox this scores 5 (checked by hand)
        "import json, pathlib\nSRC = pathlib.Path({book!r})\n"
        "for c in json.loads(SRC.read_text())['cells']:\n"
        "    src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']\n"
        "    if 'secret' in src:\n        exec(src)\n",
        "found = 'halve' in globals()\n",
        0, "graded"),
    "hal-swallows-interrupts": (
        "import time\ndef double(x):\n    while True:\n        try:\n            time.sleep(0.2)\n"
        "        except BaseException:\n            pass\n", HALVE, 0, "failed"),
}


@pytest.fixture(scope="module")
def batch(root, tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    book = str(root / "book" / "demo" / "exercises.ipynb")
    for name, (double, halve, _, _) in STUDENTS.items():
        nb = notebook(double.format(book=book, repo=str(root)), halve.format(book=book, repo=str(root)))
        path = subs / name / "demo" / "exercises.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    # edited test cells and corrupted metadata: the source's tests are what count
    edited = notebook(WRONG, HALVE, tests={gid: (100, "print('all good')") for gid in TESTS})
    edited.cells[4].metadata["nbgrader"] = "garbage"
    (subs / "ivy-edited-tests" / "demo").mkdir(parents=True)
    nbformat.write(edited, subs / "ivy-edited-tests" / "demo" / "exercises.ipynb")
    (subs / "jon-invalid-json" / "demo").mkdir(parents=True)
    (subs / "jon-invalid-json" / "demo" / "exercises.ipynb").write_text('{"cells": [')
    (subs / "kim-wrong-layout").mkdir()
    nbformat.write(notebook(), subs / "kim-wrong-layout" / "exercises.ipynb")
    (subs / "lea-no-notebook" / "demo").mkdir(parents=True)
    out = tmp_path_factory.mktemp("batch")
    grades = out / "copy" / "grades.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "nnbasics_course", "--root", str(root), "autograde", str(subs),
         "--grades", str(grades), "--batch-dir", str(out / "b1"), "--cell-timeout", "3",
         "--total-timeout", "15", "--jobs", "3"], capture_output=True, text=True, timeout=600)
    with grades.open() as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return proc, rows, out / "b1"


def test_every_student_has_a_row_and_the_expected_score(batch):
    _, rows, _ = batch
    for name, (_, _, score, status) in STUDENTS.items():
        assert (rows[name]["score"], rows[name]["status"]) == (f"{score}", status), (name, rows[name])
        assert rows[name]["max_score"] == "5"
    assert rows["ivy-edited-tests"]["score"] == "3"  # double(1) == 2 and halve: the source's tests
    jon = rows["jon-invalid-json"]
    assert jon["status"] == "failed" and "not valid JSON" in jon["reason"]
    assert rows["jon-invalid-json"]["score"] == "0"
    assert "wrong folder layout" in rows["kim-wrong-layout"]["reason"]
    assert "no exercises.ipynb" in rows["lea-no-notebook"]["reason"]
    assert len(rows) == len(STUDENTS) + 4


def test_reasons_and_exit_code(batch):
    proc, rows, _ = batch
    assert "kernel died" in rows["eve-dead-kernel"]["reason"]
    assert "longer than 15 s in total" in rows["hal-swallows-interrupts"]["reason"]
    assert proc.returncode == 1  # some submissions failed
    assert "FAILED eve-dead-kernel demo: the kernel died" in proc.stderr
    assert "failed; grades in" in proc.stdout


def test_per_cell_results_and_feedback_without_hidden_source(batch, root):
    _, _, out = batch
    cal = json.loads((out / "results" / "cal-loop" / "demo.json").read_text())
    assert [c["message"] for c in cal["cells"]][:2] == ["timed out after 3 s"] * 2
    fay = json.loads((out / "results" / "fay-monkeypatch" / "demo.json").read_text())
    assert "plain values" in fay["cells"][0]["message"]  # the float subclass is refused
    page = (out / "feedback" / "bob-wrong" / "demo.html").read_text()
    assert "1 / 5" in page and "double-hidden" in page and "AssertionError" in page
    assert "double(21)" not in page and "secret" not in page
    pages = grading.feedback_from_results(root, out, show_hidden=True)
    assert len(pages) == len(STUDENTS) + 2 and "double(21)" in pages[0].read_text()


def test_a_second_batch_keeps_the_first(root, batch, tmp_path):
    _, _, first = batch
    subs = tmp_path / "subs"
    (subs / "zed" / "demo").mkdir(parents=True)
    nbformat.write(notebook(), subs / "zed" / "demo" / "exercises.ipynb")
    rows = grading.autograde(root, subs, None, batch_dir=first.parent / "b2")
    assert rows == [{"student": "zed", "chapter": "demo", "score": "5", "max_score": "5",
                     "status": "graded", "reason": ""}]
    assert (first / "grades.csv").exists() and (first / "feedback" / "ada-correct" / "demo.html").exists()


def test_guard_rewrites_asserts_and_restores_before_each_statement():
    code = grading.guard_test_source("x = f()\nassert x == 1, 'msg'\nassert 0 < x <= 2\n")
    assert code.count("__nnbasics_checks__.restore()") == 3
    assert "__nnbasics_checks__.compare(x, '==', 1)" in code
    assert "__nnbasics_checks__.compare(0, '<', x) and __nnbasics_checks__.compare(x, '<=', 2)" in code


def test_the_read_source_cheat_works_without_the_sandbox(root, tmp_path):
    """So gus's 0 in the batch is the sandbox's doing: the same notebook, unsandboxed, scores 5."""
    book = str(root / "book" / "demo" / "exercises.ipynb")
    double, halve, _, _ = STUDENTS["gus-read-source"]
    path = tmp_path / "gus" / "demo" / "exercises.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(notebook(double.format(book=book), halve), path)
    result = grading.grade_notebook("demo", path, root, cell_timeout=30, total_timeout=120, sandbox=False)
    assert (result["score"], result["sandbox"]) == (5, False)
