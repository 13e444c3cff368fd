"""The autograder: grade one submission, or a batch, so that no submission can stop the batch,
fool the hidden tests with a monkeypatch, or read the instructor's source.

Public entry points:

- ``grade_notebook(chapter, notebook, root=...) -> dict``: grade one submission notebook for
  one chapter and return ``{"chapter", "score", "max_score", "status", "reason", "cells"}``,
  where ``status`` is ``"graded"`` or ``"failed"`` (something could not be graded: invalid JSON,
  a dead kernel, a timeout, a missing solution cell...), ``reason`` says what in one line and
  ``cells`` lists ``{"grade_id", "score", "max_score", "passed", "message"}`` per graded cell.
  It never raises for a bad submission.
- ``grade_batch(root, submissions_dir, out_dir, ...)``: every ``<student>/<chapter>/exercises.ipynb``
  graded in its own process (``jobs`` at a time), results in ``out_dir`` (CSV, one JSON per
  submission, one HTML feedback per student and chapter).
- ``autograde(root, submissions_dir, grades_csv)``: what ``python -m nnbasics_course autograde``
  runs: `grade_batch` into a new folder ``_build/grading/<UTC time>/``, the CSV copied out.

How a submission is graded (nbgrader's semantics, without its failure modes):

1. the instructor's source ``book/<chapter>/exercises.ipynb`` is the skeleton: every cell comes
   from it except the solution cells (nbgrader ``solution: true``), taken from the submission by
   their ``grade_id``. Test cells, their points and their metadata come from the source, so
   editing them in the submission changes nothing;
2. the notebook runs in a fresh kernel in its own temporary folder. Where bubblewrap can set it up
   (`nnbasics_course.sandbox`), the kernel sees only an allow-list: the Python environment and the
   course's packages read-only, its own work folder and ``/tmp``; no network, no other process,
   no other file of the machine (the instructor's notebooks, another clone of the course, other
   students' work). Before a batch, `preflight` starts one such kernel and stops the batch with
   one message (`GradingSetupError`) if it does not start, runs another interpreter or cannot
   import the course;
3. before the kernel starts, `nnbasics_course.screen` reads the solution cells: one that reaches
   for the grader (imports ``sys`` or ``gc``, names ``__builtins__``, calls ``exec``...) is
   refused, the submission is not run and gets 0 with the reason;
4. before any student code, `nnbasics_course.checks.snapshot` runs; every graded test cell is
   rewritten so that ``checks.restore()`` runs before each statement and every comparison in an
   ``assert`` goes through ``checks.compare`` (see that module);
5. a graded cell earns its points if it runs without error; each cell has ``cell_timeout``
   seconds (then it is interrupted) and the whole notebook ``total_timeout`` seconds (then the
   kernel is killed and the remaining cells get 0, with the reason).
"""

from __future__ import annotations

import ast
import copy
import csv
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

from . import sandbox as _sandbox
from .leaks import HIDDEN_MARKERS
from .screen import screen
from .student import STUDENT_DIR
from .toc import EXERCISES, exercise_chapters, exercises_notebook

__all__ = ["BATCHES", "CELL_TIMEOUT", "TOTAL_TIMEOUT", "GradingSetupError", "autograde",
           "feedback_from_results", "grade_batch", "grade_notebook", "new_batch_dir", "preflight",
           "write_feedback"]

CELL_TIMEOUT = 60
TOTAL_TIMEOUT = 300
_CHECKS = "__nnbasics_checks__"


def _meta(cell) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _is_test(cell) -> bool:
    m = _meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def _is_solution(cell) -> bool:
    return cell.get("cell_type") == "code" and bool(_meta(cell).get("solution"))


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


# --- Rewriting the test cells -------------------------------------------------------------------


class _Guard(ast.NodeTransformer):
    """Comparisons inside ``assert`` go through ``checks.compare``."""

    _names: ClassVar[dict] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
                              ast.Gt: ">", ast.GtE: ">="}

    def __init__(self):
        self.in_assert = False

    def visit_Assert(self, node):
        self.in_assert = True
        node.test = self.visit(node.test)
        self.in_assert = False
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if not self.in_assert or not all(type(op) in self._names for op in node.ops):
            return node
        # a < b < c  ->  compare(a, "<", b) and compare(b, "<", c)  (b evaluated twice: fine in tests)
        terms, left = [], node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            terms.append(ast.Call(
                func=ast.Attribute(value=ast.Name(_CHECKS, ast.Load()), attr="compare", ctx=ast.Load()),
                args=[left, ast.Constant(self._names[type(op)]), right], keywords=[]))
            left = right
        return terms[0] if len(terms) == 1 else ast.BoolOp(op=ast.And(), values=terms)


def guard_test_source(source: str) -> str:
    """A test cell's code, with ``checks.restore()`` before each statement and guarded asserts."""
    lines = [ln for ln in source.splitlines() if ln.strip() not in HIDDEN_MARKERS]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return source  # it fails as it is, with its own message
    tree = _Guard().visit(tree)
    body = []
    restore = ast.parse(f"{_CHECKS}.restore()").body[0]
    for stmt in tree.body:
        body += [copy.deepcopy(restore), stmt]
    tree.body = body
    return ast.unparse(ast.fix_missing_locations(tree))


# --- Building the notebook to run ------------------------------------------------------------------


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook (no list of cells)")
    return nb


def merge(source_nb: dict, submission_nb: dict) -> tuple[list[dict], list[str]]:
    """The cells to run: the source's, with the submission's solution cells. Returns the cells
    (each ``{"source", "kind", "grade_id", "points"}``) and the missing solution cells' ids."""
    answers = {}
    for cell in submission_nb["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            gid = _meta(cell).get("grade_id")
            if isinstance(gid, str) and gid not in answers:
                answers[gid] = _source(cell)
    cells, missing = [], []
    for cell in source_nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        m = _meta(cell)
        gid = m.get("grade_id")
        if _is_solution(cell):
            if gid in answers:
                src = answers[gid]
            else:
                missing.append(str(gid))
                src = f"raise RuntimeError('the submission has no solution cell {gid!s}')"
            cells.append({"source": src, "kind": "solution", "grade_id": gid, "points": 0})
        elif _is_test(cell):
            cells.append({"source": guard_test_source(_source(cell)), "kind": "test", "grade_id": gid,
                          "points": float(m.get("points", 0) or 0)})
        else:
            cells.append({"source": _source(cell), "kind": "code", "grade_id": gid, "points": 0})
    return cells, missing


# --- The sandboxed kernel ---------------------------------------------------------------------------


class GradingSetupError(RuntimeError):
    """The grader cannot grade on this machine as it is set up; the message says what to change.
    Raised before any submission is graded (see `preflight`)."""


def _sandbox_available() -> bool:
    return _sandbox.status()[0]


def _kernel_spec(spec_dir: Path, argv: list[str]) -> None:
    kernel = spec_dir / "kernels" / "nnbasics-grading"
    kernel.mkdir(parents=True)
    # Interrupts (a cell's timeout) go to the kernel as a message: a signal would reach bwrap.
    (kernel / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "nnbasics grading", "language": "python",
         "interrupt_mode": "message"}))


def _work_parent() -> Path:
    """The folder of every kernel's work folder (the preflight's too). A sandboxed kernel sees only
    its own; without the sandbox, the folder is private (700), so no other user lists them."""
    parent = Path(tempfile.gettempdir()) / "nnbasics-grading"
    parent.mkdir(mode=0o700, exist_ok=True)
    return parent


def _hidden_paths(root: Path, extra: list[Path]) -> list[Path]:
    return [root / name for name in ("book", ".git", "_build", "tests", STUDENT_DIR)] + list(extra)


def _kernel_env(home: str) -> dict[str, str]:
    """The kernel's environment: an allow-list too (no instructor's variables, tokens or paths)."""
    env = {k: v for k, v in os.environ.items()
           if k in ("LANG", "LC_ALL", "PYTHONHASHSEED", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS", "TZ")}
    env.update(PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
               HOME=home, MPLCONFIGDIR=f"{home}/.mpl", IPYTHONDIR=f"{home}/.ipython", TQDM_DISABLE="1",
               PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="agg")
    return env


def _run(cells: list[dict], work: Path, hide: list[Path], cell_timeout: float, total_timeout: float,
         use_sandbox: bool, *, root: Path | None = None, snapshot: bool = True,
         stderr=None) -> tuple[dict[int, str | None], str, list[str]]:
    """Run the cells; return {index: None (ran) or the error message}, a reason ("" if all ran)
    and each cell's printed text."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    home, conn = work / "home", work / "conn"
    home.mkdir()
    conn.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if use_sandbox:
        # The kernel talks to the grader through Unix sockets in `conn` (it has no network).
        argv = _sandbox.wrap(argv, python=sys.executable, work=home, connection_dir=conn, root=root,
                            hide=hide)
        km_args = {"transport": "ipc", "ip": str(conn / "kernel")}
        env, cwd = _kernel_env(_sandbox.HOME), str(conn)
    else:
        km_args = {}
        env, cwd = _kernel_env(str(home)), str(home)
    _kernel_spec(work / "spec", argv)
    specs = KernelSpecManager(kernel_dirs=[str(work / "spec" / "kernels")])
    km = AsyncKernelManager(kernel_name="nnbasics-grading", kernel_spec_manager=specs,
                            connection_file=str(conn / "kernel.json"), **km_args)
    nb = nbformat.v4.new_notebook()
    first = f"import nnbasics_course.checks as {_CHECKS}\n{_CHECKS}.snapshot()" if snapshot else "pass"
    nb.cells = [nbformat.v4.new_code_cell(first)]
    nb.cells += [nbformat.v4.new_code_cell(c["source"]) for c in cells]
    client = NotebookClient(nb, km=km, timeout=cell_timeout, interrupt_on_timeout=True,
                            startup_timeout=120, kernel_name="nnbasics-grading", allow_errors=False,
                            record_timing=False, resources={"metadata": {"path": cwd}})
    results: dict[int, str | None] = {}
    reason = ""
    deadline = time.monotonic() + total_timeout
    killed = threading.Event()

    def kill():
        killed.set()
        pid = getattr(km.provisioner, "pid", None) if km.provisioner else None
        if pid:
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    timer = threading.Timer(total_timeout, kill)
    # ipykernel's banner ("To connect another client...") is not the grader's output.
    extra = {"stdout": subprocess.DEVNULL, **({"stderr": stderr} if stderr is not None else {})}
    try:
        timer.start()
        with client.setup_kernel(cwd=cwd, env=env, **extra):
            client.timeout = max(cell_timeout, 120)  # the snapshot imports torch: slow on a busy machine
            client.execute_cell(nb.cells[0], 0)
            client.timeout = cell_timeout
            for i, _ in enumerate(cells):
                started = time.monotonic()
                try:
                    client.execute_cell(nb.cells[i + 1], i + 1)
                    results[i] = None
                except CellExecutionError as err:
                    msg = f"{err.ename}: {err.evalue}".strip()
                    if err.ename == "KeyboardInterrupt" and time.monotonic() - started >= cell_timeout - 1:
                        msg = f"timed out after {cell_timeout:g} s"
                    results[i] = msg
                except DeadKernelError:
                    where = f"{cells[i]['kind']} {cells[i]['grade_id'] or ''}".strip()
                    reason = (f"the notebook took longer than {total_timeout:g} s in total" if killed.is_set()
                              else f"the kernel died in cell {i + 1} ({where})")
                    break
                if time.monotonic() > deadline:
                    reason = f"the notebook took longer than {total_timeout:g} s in total"
                    break
    except Exception as err:  # a kernel that never started, a timeout without reply...
        if not reason:
            reason = (f"the notebook took longer than {total_timeout:g} s in total" if killed.is_set()
                      else f"{type(err).__name__}: {err}".strip()[:300])
    finally:
        timer.cancel()
        kill()  # setup_kernel shut it down; this only catches a kernel that would not stop
    printed = ["".join(o.get("text", "") for o in c.get("outputs", []) if o.get("output_type") == "stream")
               for c in nb.cells[1:]]
    return results, reason, printed


# --- The preflight: one kernel, before any student ----------------------------------------------------

_PREFLIGHT = """
import json, os, sys
info = {"version": sys.version, "prefix": sys.prefix}
try:
    import nnbasics, nnbasics_course.checks
    info["course"] = os.path.dirname(nnbasics.__file__)
except Exception as err:
    info["import_error"] = f"{type(err).__name__}: {err}"
print("PREFLIGHT " + json.dumps(info))
"""


def preflight(root: Path, *, use_sandbox: bool | None = None, timeout: float = 180) -> dict:
    """Start one grading kernel as every submission's will start, before any submission is graded.

    It must start, run the instructor's interpreter (same version and prefix as this process's,
    which every kernel runs) and import the course. Returns ``{"sandbox", "sandbox_problem",
    "version", "prefix", "course", "allowed"}``; raises `GradingSetupError` with one message that
    says what to change, so that a broken set-up stops the batch instead of failing everyone.
    """
    root = Path(root).resolve()
    sandbox_ok, problem = _sandbox.status()
    use_sandbox = sandbox_ok if use_sandbox is None else use_sandbox
    allowed = [str(p) for p in _sandbox.allow_list(sys.executable, root)] if use_sandbox else []
    with tempfile.TemporaryDirectory(prefix="preflight-", dir=_work_parent()) as tmp, \
            tempfile.TemporaryFile("w+") as err_file:
        runs, reason, printed = _run([{"source": _PREFLIGHT, "kind": "code", "grade_id": None}], Path(tmp),
                                     _hidden_paths(root, []), timeout, timeout, use_sandbox, root=root,
                                     snapshot=False, stderr=err_file)
        err_file.seek(0)
        kernel_err = [ln for ln in err_file.read().splitlines() if ln.strip()][-3:]
    where = "in the sandbox" if use_sandbox else "(without a sandbox)"
    fix = ("Run the grader with the course's environment (make autograde, or .venv/bin/python -m "
           "nnbasics_course); ")
    fix += (f"the sandbox lets the kernel read only {', '.join(allowed)} and /usr, so the interpreter, its "
            "packages and the course must live there."
            if use_sandbox else "check that this interpreter has ipykernel and the course installed.")
    line = [ln for ln in (printed[0] if printed else "").splitlines() if ln.startswith("PREFLIGHT ")]
    if reason or not line:
        detail = reason or (runs.get(0) or "it printed nothing")
        stderr_tail = f" The kernel's last error lines: {' | '.join(kernel_err)}." if kernel_err else ""
        raise GradingSetupError(f"Grading stopped before any submission: the grading kernel did not start "
                                f"{where} ({detail}).{stderr_tail} {fix}")
    info = json.loads(line[0].removeprefix("PREFLIGHT "))
    expected = {"version": sys.version, "prefix": sys.prefix}
    if (info["version"], info["prefix"]) != (expected["version"], expected["prefix"]):
        raise GradingSetupError(
            f"Grading stopped before any submission: the grading kernel runs Python "
            f"{info['version'].split()[0]} at {info['prefix']}, not the instructor's "
            f"{expected['version'].split()[0]} at {expected['prefix']}. {fix}")
    if "import_error" in info:
        raise GradingSetupError(f"Grading stopped before any submission: the grading kernel cannot import "
                                f"the course ({info['import_error']}). {fix}")
    return {"sandbox": use_sandbox, "sandbox_problem": problem, "version": info["version"],
            "prefix": info["prefix"], "course": info["course"], "allowed": allowed}


def grade_notebook(chapter: str, notebook: str | Path, root: str | Path | None = None, *,
                   cell_timeout: float = CELL_TIMEOUT, total_timeout: float = TOTAL_TIMEOUT,
                   hide: list[Path] | None = None, sandbox: bool | None = None) -> dict:
    """Grade one submission of ``chapter`` (see the module's docstring). Never raises for a bad
    submission; ``root`` is the repository (default: the current directory)."""
    root = Path(root or Path.cwd()).resolve()
    source_path = exercises_notebook(root, chapter)
    result = {"chapter": chapter, "score": 0.0, "max_score": 0.0, "status": "graded", "reason": "",
              "cells": []}
    source_nb = _read_json(source_path)  # the instructor's: an error here is the course's fault
    tests = [c for c in source_nb["cells"] if _is_test(c)]
    result["max_score"] = float(sum(float(_meta(c).get("points", 0) or 0) for c in tests))
    result["cells"] = [{"grade_id": _meta(c).get("grade_id"), "score": 0.0,
                        "max_score": float(_meta(c).get("points", 0) or 0), "passed": False,
                        "message": "not run"} for c in tests]

    def failed(reason: str) -> dict:
        result.update(status="failed", reason=reason)
        for cell in result["cells"]:
            if cell["message"] == "not run":
                cell["message"] = f"not run: {reason}"
        return result

    notebook = Path(notebook)
    if not notebook.is_file():
        return failed(f"no notebook {notebook.name}")
    try:
        submission = _read_json(notebook)
    except (ValueError, UnicodeDecodeError, OSError) as err:
        return failed(f"the notebook is not valid JSON ({type(err).__name__}: {str(err)[:120]})")
    try:
        cells, missing = merge(source_nb, submission)
    except Exception as err:  # a notebook whose cells are not what nbformat describes
        return failed(f"the notebook's cells cannot be read ({type(err).__name__}: {str(err)[:120]})")
    refused = [f"{c['grade_id']} ({finding})" for c in cells if c["kind"] == "solution"
               for finding in screen(c["source"])]
    if refused:
        return failed("refused: a solution cell reaches for the grader: " + "; ".join(refused)[:400]
                      + " (see book/instructors.md, 'What the grader refuses')")
    use_sandbox = _sandbox_available() if sandbox is None else sandbox
    # The kernel never sees the submission's file (the grader passes it the cells).
    with tempfile.TemporaryDirectory(prefix="grade-", dir=_work_parent()) as tmp:
        work = Path(tmp)
        hidden = _hidden_paths(root, list(hide or []))
        hidden = [p for p in hidden if p.exists() and not Path(tmp).is_relative_to(p)]
        runs, reason, _ = _run(cells, work, hidden, cell_timeout, total_timeout, use_sandbox, root=root)
    test_index = [i for i, c in enumerate(cells) if c["kind"] == "test"]
    for cell, i in zip(result["cells"], test_index, strict=True):
        if i in runs:
            error = runs[i]
            cell.update(passed=error is None, score=cell["max_score"] if error is None else 0.0,
                        message="passed" if error is None else error)
    result["score"] = float(sum(c["score"] for c in result["cells"]))
    result["sandbox"] = use_sandbox
    if reason:
        return failed(reason)
    if missing:
        result["reason"] = "missing solution cells: " + ", ".join(missing)
    return result


# --- A batch -----------------------------------------------------------------------------------------


def _grade_in_subprocess(root: Path, chapter: str, notebook: Path, out_json: Path, hide: list[Path],
                         cell_timeout: float, total_timeout: float, use_sandbox: bool) -> dict:
    cmd = [sys.executable, "-m", "nnbasics_course.grading", "--root", str(root), "--chapter", chapter,
           "--notebook", str(notebook), "--json", str(out_json), "--cell-timeout", str(cell_timeout),
           "--total-timeout", str(total_timeout), "--sandbox" if use_sandbox else "--no-sandbox"]
    for p in hide:
        cmd += ["--hide", str(p)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=total_timeout + 180)
        if out_json.exists():
            return json.loads(out_json.read_text())
        reason = f"the grader failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}"
    except subprocess.TimeoutExpired:
        reason = f"the grader took longer than {total_timeout + 180:g} s"
    except Exception as err:
        reason = f"the grader failed: {type(err).__name__}: {err}"
    return {"chapter": chapter, "score": 0.0, "max_score": 0.0, "status": "failed", "reason": reason,
            "cells": []}


def _discover(submissions_dir: Path, chapters: list[str]) -> tuple[dict, list[dict]]:
    """``{(student, chapter): notebook}`` and failed rows for what is in the wrong place."""
    found, problems = {}, []
    if not submissions_dir.is_dir():
        return found, [{"student": "", "chapter": "", "status": "failed",
                        "reason": f"{submissions_dir} is not a folder"}]
    students = (p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for student_dir in sorted(students):
        student = student_dir.name
        notebooks = sorted(student_dir.rglob(EXERCISES))
        located = {}
        for nb in notebooks:
            if ".ipynb_checkpoints" in nb.parts:
                continue
            chapter = nb.parent.relative_to(student_dir).as_posix()
            if chapter in chapters:
                located[chapter] = nb
            else:
                problems.append({"student": student, "chapter": chapter, "status": "failed",
                                 "reason": f"wrong folder layout: {nb.relative_to(submissions_dir)} is not "
                                           f"<student>/<chapter>/{EXERCISES} for a chapter with exercises"})
        for chapter, nb in located.items():
            found[(student, chapter)] = nb
        if not notebooks:
            problems.append({"student": student, "chapter": "", "status": "failed",
                             "reason": f"no {EXERCISES} in {student_dir.name}/ "
                                       f"(expected {student}/<chapter>/{EXERCISES})"})
    return found, problems


FIELDS = ["student", "chapter", "score", "max_score", "status", "reason"]


def grade_batch(root: Path, submissions_dir: Path, out_dir: Path, *, chapters: list[str] | None = None,
                jobs: int = 2, cell_timeout: float = CELL_TIMEOUT, total_timeout: float = TOTAL_TIMEOUT,
                submissions: dict | None = None, feedback: bool = True,
                hide: list[Path] | None = None, sandbox: bool | None = None) -> list[dict]:
    """Grade every submission into ``out_dir`` (created; never emptied): ``grades.csv``,
    ``results/<student>/<chapter>.json``, ``feedback/<student>/<chapter>.html`` and
    ``preflight.json``. Returns the CSV's rows. ``submissions`` (``{(student, chapter): notebook}``)
    replaces the discovery.

    Before any submission, `preflight` starts one kernel as every submission's will start; if it
    fails, `GradingSetupError` is raised and nothing is graded. Where the sandbox cannot be set
    up, this is said once on stderr and every result records ``"sandbox": false``.
    """
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    sandbox_ok, problem = _sandbox.status()
    use_sandbox = sandbox_ok if sandbox is None else sandbox
    if not use_sandbox:
        problem = problem or "switched off by the caller"
        print(f"nnbasics grading: NO SANDBOX ({problem}). Submissions will run with this user's rights: "
              "they can read any file it can and use the network. Each result records "
              '"sandbox": false.', file=sys.stderr)
    checked = preflight(root, use_sandbox=use_sandbox)  # raises GradingSetupError: nothing graded
    chapters = exercise_chapters(root) if chapters is None else chapters
    if submissions is None:
        found, problems = _discover(Path(submissions_dir).resolve(), chapters)
    else:
        found, problems = dict(submissions), []
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "preflight.json").write_text(json.dumps(checked, indent=1))
    hide = [*(hide or []), out_dir] + ([Path(submissions_dir).resolve()] if submissions_dir else [])

    def one(key):
        student, chapter = key
        out_json = out_dir / "results" / student / f"{chapter.replace('/', '__')}.json"
        out_json.parent.mkdir(parents=True, exist_ok=True)
        return key, _grade_in_subprocess(root, chapter, found[key], out_json, hide,
                                         cell_timeout, total_timeout, use_sandbox)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = dict(pool.map(one, sorted(found)))
    rows = []
    for (student, chapter), res in sorted(results.items()):
        rows.append({"student": student, "chapter": chapter, "score": f"{res['score']:g}",
                     "max_score": f"{res['max_score']:g}", "status": res["status"], "reason": res["reason"]})
        if feedback:
            page = out_dir / "feedback" / student / f"{chapter.replace('/', '__')}.html"
            write_feedback(root, student, res, page)
    rows += [{"score": "0", "max_score": "", **p} for p in problems]
    with (out_dir / "grades.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def write_feedback(root: Path, student: str, result: dict, path: Path, show_hidden: bool = False) -> Path:
    """One HTML page for a student and chapter: score, and per graded cell its score and message.
    The hidden tests' source is left out unless ``show_hidden``."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(str(c['grade_id']))}</td><td>{c['score']:g} / {c['max_score']:g}</td>"
        f"<td>{'passed' if c['passed'] else 'failed'}</td><td><pre>{esc(str(c['message']))}</pre></td></tr>"
        for c in result.get("cells", []))
    hidden = ""
    if show_hidden:
        src = _read_json(exercises_notebook(Path(root), result["chapter"]))
        hidden = "".join(f"<h3>{esc(str(_meta(c).get('grade_id')))}</h3><pre>{esc(_source(c))}</pre>"
                         for c in src["cells"] if _is_test(c))
    reason = result.get("reason")
    note = f"<p><strong>Not fully graded:</strong> {esc(reason)}</p>" if reason else ""
    title = f"{esc(student)}: {esc(result['chapter'])}"
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"</head><body><h1>{esc(result['chapter'])}: feedback for {esc(student)}</h1>"
            f"<p>Score: {result['score']:g} / {result['max_score']:g}</p>{note}"
            f"<table><tr><th>Test</th><th>Score</th><th>Result</th><th>Message</th></tr>{rows}</table>"
            f"{hidden}</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def feedback_from_results(root: Path, batch: Path, show_hidden: bool = False) -> list[Path]:
    """Rewrite ``batch/feedback/<student>/<chapter>.html`` from ``batch/results/``."""
    pages = []
    for result in sorted(Path(batch).glob("results/*/*.json")):
        res = json.loads(result.read_text())
        page = Path(batch) / "feedback" / result.parent.name / result.with_suffix(".html").name
        pages.append(write_feedback(root, result.parent.name, res, page, show_hidden=show_hidden))
    return pages


# --- The autograde command: a batch in its own folder ---------------------------------------------

BATCHES = Path("_build") / "grading"  # one folder per batch: _build/grading/<UTC time>/


def new_batch_dir(root: Path) -> Path:
    """A new folder ``_build/grading/<UTC time>`` for one batch: batches never overwrite each other."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    base = root / BATCHES
    path, n = base / stamp, 1
    while path.exists():
        n += 1
        path = base / f"{stamp}-{n}"
    return path


def autograde(root: Path, submissions_dir: Path, grades_csv: Path | None = None, *,
              batch_dir: Path | None = None, jobs: int = 2, cell_timeout: float | None = None,
              total_timeout: float | None = None) -> list[dict[str, str]]:
    """Autograde ``submissions_dir/<student>/<chapter>/exercises.ipynb`` into a CSV.

    Every submission is graded by `grade_batch` in its own process; a bad one (invalid JSON, a
    dead kernel, a timeout, a wrong folder) gets 0 on what could not be graded and a ``failed``
    row with the reason, and the others are graded. The batch goes to its own folder
    ``batch_dir`` (default ``_build/grading/<UTC time>/``: ``grades.csv``, ``results/`` and
    ``feedback/``); the CSV is also copied to ``grades_csv``. Columns: student, chapter, score,
    max_score, status (``graded`` or ``failed``), reason.
    """
    batch_dir = Path(batch_dir) if batch_dir else new_batch_dir(root)
    rows = grade_batch(
        root, submissions_dir, batch_dir, jobs=jobs,
        cell_timeout=cell_timeout or CELL_TIMEOUT,
        total_timeout=total_timeout or TOTAL_TIMEOUT)
    if grades_csv is not None:
        grades_csv = Path(grades_csv)
        grades_csv.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(batch_dir / "grades.csv", grades_csv)
    return rows


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m nnbasics_course.grading", description="grade one submission")
    p.add_argument("--root", type=Path, default=Path.cwd())
    p.add_argument("--chapter", required=True)
    p.add_argument("--notebook", type=Path, required=True)
    p.add_argument("--json", type=Path)
    p.add_argument("--hide", type=Path, action="append", default=[])
    p.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT)
    p.add_argument("--total-timeout", type=float, default=TOTAL_TIMEOUT)
    p.add_argument("--sandbox", action=argparse.BooleanOptionalAction, default=None,
                   help="run the kernel in the sandbox (default: where it can be set up)")
    args = p.parse_args(argv)
    res = grade_notebook(args.chapter, args.notebook, args.root, cell_timeout=args.cell_timeout,
                         total_timeout=args.total_timeout, hide=args.hide or None, sandbox=args.sandbox)
    text = json.dumps(res, indent=1)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
