"""The grading kernel's sandbox and the preflight before a batch (issue 34): the allow-list holds
the Python environment and the course's packages and nothing of the checkout around them; a
kernel that does not start, runs another interpreter or cannot import the course stops the batch
with one message before any submission; without the sandbox, grading says so once."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

import nnbasics
import nnbasics_course
from nnbasics_course import cli, grading, sandbox

ROOT = Path(__file__).resolve().parents[2]
SOLVED = "def double(x):\n    return 2 * x\n"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    toc = "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/demo/exercises\n"
    (root / "_toc.yml").write_text(toc)
    (root / "book" / "demo").mkdir(parents=True)
    (root / "book" / "intro.md").write_text("# Intro\n")
    meta = {"nbgrader": {"grade": False, "grade_id": "double", "locked": False, "schema_version": 3,
                         "solution": True, "task": False}}
    test = {"nbgrader": {"grade": True, "grade_id": "double-test", "locked": True, "points": 1,
                         "schema_version": 3, "solution": False, "task": False}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOLVED, metadata=meta),
                                         nbformat.v4.new_code_cell("assert double(2) == 4", metadata=test)])
    nbformat.write(nb, root / "book" / "demo" / "exercises.ipynb")
    return root


def needs_sandbox():
    ok, problem = sandbox.status()
    if not ok:
        pytest.fail(f"the grading sandbox cannot be set up here: {problem}")


def test_the_allow_list_is_the_environment_and_the_course_packages():
    allowed = sandbox.allow_list(sys.executable, ROOT)
    assert Path(sys.prefix).resolve() in allowed and Path(sys.base_prefix).resolve() in allowed
    assert Path(nnbasics.__file__).parent.resolve() in allowed
    assert Path(nnbasics_course.__file__).parent.resolve() in allowed
    # never the checkout around them, nor its src/ and tools/ folders, nor / or /tmp
    for forbidden in (ROOT, ROOT / "src", ROOT / "tools", ROOT / "book", Path("/"), Path("/tmp")):
        assert forbidden not in allowed
    assert not any(p.is_relative_to(ROOT / "book") or p.is_relative_to(ROOT / ".git") for p in allowed)


def test_the_kernel_command_line_binds_only_the_allow_list(tmp_path):
    argv = sandbox.wrap(["python"], python=sys.executable, work=tmp_path / "w", connection_dir=tmp_path / "c",
                        root=ROOT)
    binds = [argv[i + 1] for i, a in enumerate(argv) if a in ("--ro-bind", "--bind")]
    system = {p for p in ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime") if Path(p).exists()}
    assert set(binds) == ({"/usr", str(tmp_path / "w"), str(tmp_path / "c")} | system
                          | {str(p) for p in sandbox.allow_list(sys.executable, ROOT)})
    assert "--unshare-all" in argv and "--unshare-user" in argv and argv[-2:] == ["--", "python"]
    assert argv.index("--tmpfs") < argv.index(str(tmp_path / "c"))  # /tmp first, then what is bound in it


def test_preflight_reports_the_interpreter_and_the_course(course):
    needs_sandbox()
    checked = grading.preflight(course)
    assert checked["sandbox"] is True and checked["sandbox_problem"] == ""
    assert (checked["version"], checked["prefix"]) == (sys.version, sys.prefix)
    assert Path(checked["course"]) == Path(nnbasics.__file__).parent.resolve()


def test_preflight_stops_when_the_kernel_cannot_start(course, monkeypatch):
    """The interpreter outside the allow-list: the kernel cannot even be executed."""
    needs_sandbox()
    monkeypatch.setattr(grading._sandbox, "allow_list", lambda python, root=None: [])
    with pytest.raises(grading.GradingSetupError) as err:
        grading.preflight(course, timeout=60)
    message = str(err.value)
    assert message.startswith("Grading stopped before any submission: the grading kernel did not start in "
                              "the sandbox")
    assert "No such file or directory" in message  # bwrap's own line, passed on
    assert "so the interpreter, its packages and the course must live there" in message


def test_preflight_stops_on_another_interpreter(course, monkeypatch):
    needs_sandbox()
    real = sys.version
    monkeypatch.setattr(sys, "version", "3.11.2 (the system's Python)")
    with pytest.raises(grading.GradingSetupError, match=(
            rf"the grading kernel runs Python {real.split()[0]} at {sys.prefix}, not the instructor's "
            rf"3\.11\.2 at {sys.prefix}\. Run the grader with the course's environment")):
        grading.preflight(course, timeout=60)


def test_preflight_stops_when_the_course_cannot_be_imported(course, monkeypatch):
    needs_sandbox()
    real = sandbox.allow_list
    course_dirs = {Path(nnbasics.__file__).parent.resolve(), Path(nnbasics_course.__file__).parent.resolve()}
    monkeypatch.setattr(grading._sandbox, "allow_list",
                        lambda python, root=None: [p for p in real(python, root) if p not in course_dirs])
    with pytest.raises(grading.GradingSetupError,
                       match=r"the grading kernel cannot import the course \(ModuleNotFoundError"):
        grading.preflight(course, timeout=60)


def test_a_failed_preflight_grades_nobody(course, monkeypatch, tmp_path, capsys):
    """`autograde` stops with exit code 2 and one message; no CSV, no result, no feedback."""
    needs_sandbox()
    monkeypatch.setattr(grading._sandbox, "allow_list", lambda python, root=None: [])
    subs = tmp_path / "subs" / "ada" / "demo"
    subs.mkdir(parents=True)
    nbformat.write(nbformat.read(course / "book" / "demo" / "exercises.ipynb", 4), subs / "exercises.ipynb")
    code = cli.main(["--root", str(course), "autograde", str(tmp_path / "subs"), "--grades",
                     str(tmp_path / "grades.csv"), "--batch-dir", str(tmp_path / "batch")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("Grading stopped before any submission") == 1 and "FAILED" not in err
    assert not (tmp_path / "grades.csv").exists() and not (tmp_path / "batch" / "results").exists()


def test_without_the_sandbox_grading_says_so_once_and_records_it(course, tmp_path, capsys):
    subs = {(f"s{i}", "demo"): course / "book" / "demo" / "exercises.ipynb" for i in range(2)}
    rows = grading.grade_batch(course, None, tmp_path / "batch", submissions=subs, feedback=False,
                               sandbox=False)
    assert [(r["score"], r["status"]) for r in rows] == [("1", "graded")] * 2
    assert capsys.readouterr().err.count("nnbasics grading: NO SANDBOX (") == 1
    results = sorted((tmp_path / "batch" / "results").glob("*/*.json"))
    assert len(results) == 2 and all('"sandbox": false' in p.read_text() for p in results)
    assert '"sandbox": false' in (tmp_path / "batch" / "preflight.json").read_text()
