"""The autograder against adversarial students (issues 23 and 34): one tiny synthetic chapter, a
batch of submissions that loop, crash, kill their kernel (or try to kill everything), are not
JSON, edit the test cells, monkeypatch the checks, read the instructor's source or a decoy copy of
it elsewhere on the machine, search the filesystem for notebooks, fetch the answers from a
listener on 127.0.0.1, or sit in the wrong folder. The batch must finish with a CSV, every honest
student must get the right score (the correct one graded last in full), and no cheat may earn a
point. The batch runs twice: from the course as installed here, and from a checkout (course
packages and virtual environment) inside a mode-700 folder."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import nnbasics
import nnbasics_course
from nnbasics_course import grading, sandbox
from nnbasics_course.toc import EXERCISES

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
# A cheat that found solution code in text turns it into a module and imports it (exec is refused).
USE_FOUND = "pathlib.Path('{name}_found.py').write_text(code)\nfrom {name}_found import *\n"
READ = ("import json, pathlib\ncode = ''\n"
        "for c in json.loads(pathlib.Path({path!r}).read_text())['cells']:\n"
        "    src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']\n"
        "    if 'secret' in src:\n        code += src + '\\n'\n")
# Walks up from its working folder and searches every folder above for the chapter's notebook,
# stopping at the first one that holds the solution (a search of the whole disk is slow on a busy one).
# It spells its markers in pieces: written whole, they made its own submission (or another copy of it
# in the tests' temporary folders) a match; and it wants both solutions, or another test's notebook
# with a solution of `double` alone (test_course.py) scores it 3 of 5 when met first.
SEARCH = ("import json, os, pathlib\n"
          "marker, names = 'BEGIN ' + 'SOLUTION', ('def ' + 'double', 'def ' + 'halve')\n"
          "skip = {{'proc', 'sys', 'dev', 'usr', '.venv', '.pyenv', '.git', '_build', 'node_modules',\n"
          "        'site-packages', '__pycache__', '.cache', '.mirror', '.library'}}\n"
          "def search(here):\n"
          "    for top in [here, *here.parents]:\n"
          "        for folder, dirs, files in os.walk(top):\n"
          "            dirs[:] = [d for d in dirs if d not in skip]\n"
          "            for f in files:\n"
          "                if not f.endswith('.ipynb'):\n"
          "                    continue\n"
          "                try:\n"
          "                    cells = json.loads(pathlib.Path(folder, f).read_text())['cells']\n"
          "                except Exception:\n"
          "                    continue\n"
          "                found = [''.join(c['source']) for c in cells]\n"
          "                found = [src for src in found if marker in src]\n"
          "                if all(any(name in src for src in found) for name in names):\n"
          "                    return '\\n'.join(found)\n"
          "    return ''\n"
          "code = search(pathlib.Path.cwd())\n")
FETCH = ("import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
         "code = s.makefile().read()\nimport pathlib\n")
KILL = "import os, signal\ntry:\n    os.kill({target}, signal.SIGKILL)\nexcept OSError:\n    pass\n"
NONE_DOUBLE, NONE_HALVE = "def double(x):\n    return None\n", "def halve(t):\n    return None\n"
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
    "gus-read-source": (READ.replace("{path!r}", "{book!r}") + USE_FOUND.format(name="gus"), "pass\n", 0,
                        "graded"),
    "hal-swallows-interrupts": (
        "import time\ndef double(x):\n    while True:\n        try:\n            time.sleep(0.2)\n"
        "        except BaseException:\n            pass\n", HALVE, 0, "failed"),
    # Issue 34: a copy of the solutions elsewhere, the filesystem, the network, the checks, every process.
    "mia-reads-decoy": (READ.replace("{path!r}", "{decoy!r}") + USE_FOUND.format(name="mia"), "pass\n", 0,
                        "graded"),
    "ned-searches-disk": (SEARCH + USE_FOUND.format(name="ned"), "pass\n", 0, "graded"),
    "oli-opens-socket": (FETCH + USE_FOUND.format(name="oli"), "pass\n", 0, "graded"),
    "pia-kills-everything": (KILL.format(target="-1") + WRONG,
                             KILL.format(target="os.getppid()") + NONE_HALVE, 1, "graded"),
    "quinn-patches-checks": ("import sys\nchecks = sys.modules['nnbasics_course.checks']\n"
                             "checks.compare = lambda a, op, b: True\nchecks.restore = lambda: None\n"
                             + NONE_DOUBLE, NONE_HALVE, 0, "failed"),
    "rae-rebinds-checker": ("class Yes:\n    def compare(self, *args):\n        return True\n"
                            "    def restore(self):\n        pass\n__nnbasics_checks__ = Yes()\n"
                            + NONE_DOUBLE,
                            NONE_HALVE, 0, "failed"),
    "zz-correct-last": ("def double(x):\n    return 2 * x\n", GOOD_HALVE, 5, "graded"),
}
CHEATS_OUTSIDE = ("gus-read-source", "mia-reads-decoy", "ned-searches-disk", "oli-opens-socket")


@pytest.fixture(scope="module")
def decoys(root):
    """Copies of the instructor's notebook where an older clone or a backup would be."""
    paths = [Path(tempfile.gettempdir()) / f"nnbasics-decoy-{uuid.uuid4().hex[:8]}",
             Path("/var/tmp") / f"nnbasics-backup-{uuid.uuid4().hex[:8]}"]
    for folder in paths:
        (folder / "book" / "demo").mkdir(parents=True)
        shutil.copyfile(root / "book" / "demo" / "exercises.ipynb", folder / "book" / "demo" / EXERCISES)
    yield [p / "book" / "demo" / "exercises.ipynb" for p in paths]
    for folder in paths:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def listener():
    """A server on 127.0.0.1 that hands the solution to whoever connects, and counts them."""
    server = socket.create_server(("127.0.0.1", 0))
    served = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            served.append(1)
            with conn:
                conn.sendall((DOUBLE + HALVE).encode())

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], served
    server.close()


def _private_checkout(root: Path, base: Path) -> tuple[Path, Path]:
    """The course as an instructor's checkout in a folder only its owner may enter (mode 700): the
    chapter, the two course packages and a virtual environment (the interpreter under root's
    home, the installed dependencies read from this environment's site-packages)."""
    private = base / "private"
    private.mkdir()
    os.chmod(private, stat.S_IRWXU)
    checkout = private / "checkout"
    shutil.copytree(root, checkout)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(Path(nnbasics.__file__).parent, checkout / "src" / "nnbasics", ignore=ignore)
    shutil.copytree(Path(nnbasics_course.__file__).parent, checkout / "tools" / "nnbasics_course",
                    ignore=ignore)
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(checkout / ".venv")], check=True)
    python = checkout / ".venv" / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    deps = next(p for p in sys.path if p.endswith("site-packages") and Path(p, "torch").is_dir())
    Path(site, "course.pth").write_text(f"{checkout / 'src'}\n{checkout / 'tools'}\n{deps}\n")
    return python, checkout


# The batch from the installed course grades the students of issue 34 only (the sandbox is what
# differs between the two set-ups); the one from the mode-700 checkout grades everyone.
QUICK = ("ada-correct", "eve-dead-kernel", "gus-read-source", "mia-reads-decoy", "ned-searches-disk",
         "oli-opens-socket", "pia-kills-everything", "quinn-patches-checks", "rae-rebinds-checker",
         "zz-correct-last")


@pytest.fixture(scope="module")
def batches(root, decoys, listener, tmp_path_factory):
    ok, problem = sandbox.status()
    if not ok:  # never run pia (kill -1) outside the sandbox
        pytest.fail(f"the grading sandbox cannot be set up here: {problem}")
    done = {}

    def run(kind: str):
        if kind in done:
            return done[kind]
        python, course, names = sys.executable, root, QUICK
        if kind == "private-700":
            python, course = _private_checkout(root, tmp_path_factory.mktemp("instructor"))
            names = tuple(STUDENTS)
        subs = tmp_path_factory.mktemp("submissions")
        fill = {"book": str(course / "book" / "demo" / "exercises.ipynb"), "decoy": str(decoys[0]),
                "port": listener[0]}
        for name in names:
            double, halve, _, _ = STUDENTS[name]
            path = subs / name / "demo" / "exercises.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(notebook(double.format(**fill), halve.format(**fill)), path)
        if kind == "private-700":
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
        connections = len(listener[1])
        proc = subprocess.run(
            [python, "-m", "nnbasics_course", "--root", str(course), "autograde", str(subs),
             "--grades", str(grades), "--batch-dir", str(out / "b1"), "--cell-timeout", "3",
             "--total-timeout", "15", "--jobs", "3"], capture_output=True, text=True, timeout=900)
        assert grades.exists(), proc.stderr[-3000:]
        with grades.open() as f:
            rows = {r["student"]: r for r in csv.DictReader(f)}
        proc.connections = len(listener[1]) - connections  # the listener's visitors during the batch
        proc.python, proc.students = python, names
        done[kind] = proc, rows, out / "b1"
        return done[kind]

    return run


@pytest.fixture(scope="module", params=["installed", "private-700"])
def batch(request, batches):
    return batches(request.param)


@pytest.fixture(scope="module")
def full_batch(batches):
    return batches("private-700")


def test_every_student_has_a_row_and_the_expected_score(batch):
    proc, rows, _ = batch
    for name in proc.students:
        _, _, score, status = STUDENTS[name]
        assert (rows[name]["score"], rows[name]["status"]) == (f"{score}", status), (name, rows[name])
        assert rows[name]["max_score"] == "5"
    assert len(rows) == len(proc.students) + (4 if len(proc.students) == len(STUDENTS) else 0)


def test_broken_submissions_get_their_reason(full_batch):
    _, rows, _ = full_batch
    assert rows["ivy-edited-tests"]["score"] == "3"  # double(1) == 2 and halve: the source's tests
    jon = rows["jon-invalid-json"]
    assert jon["status"] == "failed" and "not valid JSON" in jon["reason"]
    assert rows["jon-invalid-json"]["score"] == "0"
    assert "wrong folder layout" in rows["kim-wrong-layout"]["reason"]
    assert "no exercises.ipynb" in rows["lea-no-notebook"]["reason"]


def test_reasons_and_exit_code(full_batch):
    proc, rows, _ = full_batch
    assert "kernel died" in rows["eve-dead-kernel"]["reason"]
    assert "longer than 15 s in total" in rows["hal-swallows-interrupts"]["reason"]
    assert proc.returncode == 1  # some submissions failed
    assert "FAILED eve-dead-kernel demo: the kernel died" in proc.stderr
    assert "failed; grades in" in proc.stdout


def test_per_cell_results_and_feedback_without_hidden_source(full_batch, root):
    _, _, out = full_batch
    cal = json.loads((out / "results" / "cal-loop" / "demo.json").read_text())
    assert [c["message"] for c in cal["cells"]][:2] == ["timed out after 3 s"] * 2
    fay = json.loads((out / "results" / "fay-monkeypatch" / "demo.json").read_text())
    assert "plain values" in fay["cells"][0]["message"]  # the float subclass is refused
    page = (out / "feedback" / "bob-wrong" / "demo.html").read_text()
    assert "1 / 5" in page and "double-hidden" in page and "AssertionError" in page
    assert "double(21)" not in page and "secret" not in page
    pages = grading.feedback_from_results(root, out, show_hidden=True)
    assert len(pages) == len(STUDENTS) + 2 and "double(21)" in pages[0].read_text()


def test_a_second_batch_keeps_the_first(root, full_batch, tmp_path):
    _, _, first = full_batch
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


def test_no_cheat_reaches_outside_its_work_folder(batch):
    """The decoys, the filesystem search and the listener: nothing found, nobody connected."""
    proc, _, out = batch
    assert proc.connections == 0
    messages = {name: json.loads((out / "results" / name / "demo.json").read_text())["cells"][0]["message"]
                for name in CHEATS_OUTSIDE}
    assert "NameError" in messages["ned-searches-disk"]  # it searched, found nothing, defined nothing
    assert "NameError" in messages["mia-reads-decoy"] and "NameError" in messages["oli-opens-socket"]


def test_the_refused_cheats_say_why(batch):
    _, rows, _ = batch
    assert "refused: a solution cell reaches for the grader" in rows["quinn-patches-checks"]["reason"]
    assert "import sys" in rows["quinn-patches-checks"]["reason"]
    assert "the name __nnbasics_checks__" in rows["rae-rebinds-checker"]["reason"]


def test_the_batch_records_its_preflight(batch, root):
    proc, _, out = batch
    checked = json.loads((out / "preflight.json").read_text())
    prefix = subprocess.run([proc.python, "-c", "import sys; print(sys.prefix)"], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert checked["sandbox"] is True and checked["prefix"] == prefix
    allowed = [Path(p) for p in checked["allowed"]]
    assert Path(prefix) in allowed and Path(checked["course"]) in allowed
    assert not any(p in (root, root / "book", Path("/"), Path("/tmp")) or "book" in p.parts for p in allowed)


@pytest.mark.parametrize("name", CHEATS_OUTSIDE)
def test_each_outside_cheat_works_without_the_sandbox(name, root, decoys, listener, tmp_path):
    """So the cheats' 0 in the batch is the sandbox's doing: unsandboxed, each scores 5."""
    double, halve, _, _ = STUDENTS[name]
    fill = {"book": str(root / "book" / "demo" / "exercises.ipynb"), "decoy": str(decoys[1]),
            "port": listener[0]}
    path = tmp_path / name / "demo" / "exercises.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(notebook(double.format(**fill), halve.format(**fill)), path)
    result = grading.grade_notebook("demo", path, root, cell_timeout=120, total_timeout=300, sandbox=False)
    assert (result["score"], result["sandbox"]) == (5, False), result


def test_the_disk_searching_cheat_passes_over_its_own_submission(tmp_path):
    """Ned's search meets its own notebook and one with only `double` solved first (files before
    folders); it must take neither for the solution, which is one folder down here."""
    search = SEARCH.format()  # a template, like every student's cell
    nbformat.write(notebook(search + USE_FOUND.format(name="ned"), "pass\n"), tmp_path / EXERCISES)
    nbformat.write(notebook(DOUBLE, "pass\n"), tmp_path / "double-only.ipynb")  # as test_course.py's
    (tmp_path / "course").mkdir()
    nbformat.write(notebook(), tmp_path / "course" / EXERCISES)
    found = subprocess.run([sys.executable, "-c", search + "print(code)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert "secret-double" in found and "secret-halve" in found and "os.walk" not in found, found
