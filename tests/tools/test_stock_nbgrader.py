"""Stock nbgrader stays supported (issue 34, item 4): nbgrader's own command line, not the course's
grader, on one chapter's exercises.

In a temporary course folder with its own ``nbgrader_config.py``, gradebook, exchange and Jupyter
folders (never the user's ``~/.jupyter``), the test runs, as ``book/instructors.md`` tells an
instructor to (section "With nbgrader's formgrader and exchange on a hub"):

    nbgrader generate_assignment init
    nbgrader autograde init
    nbgrader export --to grades.csv

with three submissions in ``submitted/<student>/init/``: the instructor's source notebook itself
(it must get full marks), the blank student release (it must get 0), and the release whose
``xavier_std`` returns a ``float`` subclass that compares less than anything. That cheat earns
the 2 points of the ``xavier_std`` tests under stock nbgrader, which runs the tests as written,
and none under the course's grader (``tests/tools/test_autograder.py``): the instructors' page
says so, and this test keeps it true. The full marks are the sum of the points in the source
notebook's nbgrader cell metadata, not a number written here.

The chapter is ``init``, the cheapest exercises notebook to run (5.7 s with ``jupyter nbconvert
--execute`` on 2 cores, against 5.8 to 13.8 s for the other chapters); the whole test takes
about 30 s.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnbasics_course.toc import exercise_chapters, exercises_notebook

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "init"
SOLUTION, BLANK, CHEAT = "instructor-solution", "untouched-release", "float-subclass"
CHEAT_ANSWER = (  # the answer cell of the xavier_std exercise, in the cheat's submission
    "def xavier_std(fan_in, fan_out, gain=1.0):\n"
    "    class AlwaysClose(float):\n"
    "        def __sub__(self, other): return self\n"
    "        def __rsub__(self, other): return self\n"
    "        def __abs__(self): return self\n"
    "        def __lt__(self, other): return True\n"
    "        def __mul__(self, other): return self\n"
    "        def __rmul__(self, other): return self\n"
    "    return AlwaysClose(0.0)\n")
NBGRADER = Path(sys.executable).parent / "nbgrader"  # the course environment's, e.g. .venv/bin/nbgrader


def max_score(notebook: Path) -> float:
    """The notebook's total points, by nbgrader's rule: every graded or task cell's ``points``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    total = 0.0
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or meta.get("task"):
            total += float(meta.get("points", 0))
    return total


def points_of(notebook: Path, prefix: str) -> float:
    """The points of the notebook's graded cells whose grade_id starts with ``prefix``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    metas = (c.get("metadata", {}).get("nbgrader", {}) for c in nb["cells"])
    return sum(float(m.get("points", 0)) for m in metas
               if m.get("grade") and str(m.get("grade_id", "")).startswith(prefix))


def run_nbgrader(args: list[str], course: Path, env: dict[str, str]) -> None:
    done = subprocess.run([str(NBGRADER), *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[dict[str, dict[str, str]], Path]:
    """Run stock nbgrader on the chapter; return the exported CSV's rows by student, and the course."""
    tmp = tmp_path_factory.mktemp("stock-nbgrader")
    course, home, data = tmp / "course", tmp / "home", tmp / "jupyter-data"
    source = course / "source" / CHAPTER / "exercises.ipynb"
    source.parent.mkdir(parents=True)
    shutil.copyfile(exercises_notebook(ROOT, CHAPTER), source)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'nnbasics'\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        f"c.Exchange.root = {str(tmp / 'exchange')!r}\n")
    # The notebooks' kernel ("python3") is this environment's Python, whatever kernels the machine has.
    spec = data / "kernels" / "python3" / "kernel.json"
    spec.parent.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.write_text(json.dumps({"argv": argv, "display_name": "Python 3 (ipykernel)", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(data),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), IPYTHONDIR=str(home / ".ipython"),
               PATH=str(NBGRADER.parent) + os.pathsep + os.environ.get("PATH", ""))

    run_nbgrader(["generate_assignment", CHAPTER], course, env)
    release = course / "release" / CHAPTER / "exercises.ipynb"
    for student, notebook in ((SOLUTION, source), (BLANK, release), (CHEAT, release)):
        submitted = course / "submitted" / student / CHAPTER / "exercises.ipynb"
        submitted.parent.mkdir(parents=True)
        shutil.copyfile(notebook, submitted)
    cheat = course / "submitted" / CHEAT / CHAPTER / "exercises.ipynb"
    nb = json.loads(cheat.read_text(encoding="utf-8"))
    answers = [c for c in nb["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "init-ex-xavier-solution"]
    assert len(answers) == 1
    answers[0]["source"] = CHEAT_ANSWER
    cheat.write_text(json.dumps(nb), encoding="utf-8")
    run_nbgrader(["autograde", CHAPTER], course, env)
    run_nbgrader(["export", "--to", str(tmp / "grades.csv")], course, env)
    with (tmp / "grades.csv").open(newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return rows, course


def test_the_chapter_has_exercises():
    assert CHAPTER in exercise_chapters(ROOT)
    assert max_score(exercises_notebook(ROOT, CHAPTER)) > 0


def test_the_release_hides_the_solutions(exported):
    _, course = exported
    release = (course / "release" / CHAPTER / "exercises.ipynb").read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" not in release
    assert "### BEGIN HIDDEN TESTS" not in release


def test_the_solution_gets_full_marks(exported):
    rows, _ = exported
    total = max_score(exercises_notebook(ROOT, CHAPTER))
    row = rows[SOLUTION]
    assert row["assignment"] == CHAPTER
    assert (float(row["score"]), float(row["max_score"])) == (total, total)


def test_the_blank_release_gets_zero(exported):
    rows, _ = exported
    total = max_score(exercises_notebook(ROOT, CHAPTER))
    row = rows[BLANK]
    assert (float(row["score"]), float(row["max_score"])) == (0.0, total)
    assert set(rows) == {SOLUTION, BLANK, CHEAT}


def test_stock_nbgrader_pays_a_float_subclass(exported):
    """What book/instructors.md says: stock nbgrader runs the tests as written, so an answer that
    returns a float subclass comparing less than anything earns the xavier_std tests' points."""
    rows, _ = exported
    xavier = points_of(exercises_notebook(ROOT, CHAPTER), "init-ex-xavier-")
    assert xavier == 2
    assert float(rows[CHEAT]["score"]) == xavier


def test_the_instructors_page_shows_these_commands(exported):
    """book/instructors.md, "With nbgrader's formgrader and exchange on a hub", gives the commands
    this test runs and the columns of the CSV that nbgrader exported."""
    _, course = exported
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    section = page.split("## With nbgrader's formgrader and exchange on a hub", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines()]
    header = (course.parent / "grades.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header in lines
    for command in (f"nbgrader generate_assignment {CHAPTER}", f"nbgrader autograde {CHAPTER}",
                    "nbgrader export --to grades.csv"):
        assert command in lines
    total = max_score(exercises_notebook(ROOT, CHAPTER))
    said = f"instructor's notebook, submitted as a student, gets {total:g} of {total:g} points"
    assert said in " ".join(lines)
    xavier = points_of(exercises_notebook(ROOT, CHAPTER), "init-ex-xavier-")
    assert f"gets the {xavier:g} points of that exercise's tests from stock nbgrader" in " ".join(lines)


def test_the_course_grader_pays_the_float_subclass_nothing(exported):
    """The same submission under the course's grader: the xavier_std tests fail on the float
    subclass (their comparisons accept only plain values), so it earns none of their points."""
    from nnbasics_course import grading

    _, course = exported
    cheat = course / "submitted" / CHEAT / CHAPTER / "exercises.ipynb"
    result = grading.grade_notebook(CHAPTER, cheat, ROOT)
    xavier = [c for c in result["cells"] if str(c["grade_id"]).startswith("init-ex-xavier-")]
    assert len(xavier) >= 1 and result["status"] == "graded"
    assert [c["score"] for c in xavier] == [0.0] * len(xavier)
    assert any("plain values" in c["message"] for c in xavier), [c["message"] for c in xavier]
