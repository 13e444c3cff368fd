"""Proof that the exercises' tests grade (issue 23): every exercise's tests, run through the real
autograder (``nnbasics_course.grading.grade_notebook``), give the instructor's solution full marks,
the untouched student release 0, and every plausible wrong answer in ``tests/tools/wrong_answers/``
fewer points than the solution on that exercise.

A wrong answer is a plain ``.py`` file ``wrong_answers/<chapter>/<exercise>_<n>.py``: the whole
source of the solution cell ``<exercise>-solution``, as a student would hand it in. The answers of
one chapter are batched: wrong answer ``_1`` of every exercise in one notebook, ``_2`` in another
(exercises are independent: one exercise's cells only read its own names), so a chapter costs
``2 + max(n)`` autograder runs of about 15 s each.

The default run sweeps one chapter (``FAST_CHAPTERS``); ``NNBASICS_EXERCISES_ALL=1`` sweeps every
chapter that has wrong answers (about 10 min on the 2-core machine).
"""

from __future__ import annotations

import copy
import os
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

from nnbasics_course.grading import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
WRONG = Path(__file__).resolve().parent / "wrong_answers"
FAST_CHAPTERS = ["activations"]
NAME = re.compile(r"^(?P<exercise>.+)_(?P<n>\d+)\.py$")


def wrong_answers(chapter: str) -> dict[int, dict[str, str]]:
    """{n: {exercise: solution-cell source}} for one chapter."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for path in sorted((WRONG / chapter).glob("*.py")):
        m = NAME.match(path.name)
        assert m, f"{path.name}: name it <exercise>_<n>.py"
        out[int(m["n"])][m["exercise"]] = path.read_text()
    return dict(out)


def exercises(nb) -> list[str]:
    """Every exercise of a notebook: the grade_id of a solution cell without '-solution'."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in nb.cells
           if c.metadata.get("nbgrader", {}).get("solution")]
    return [i.removesuffix("-solution") for i in ids]


def exercise_of(grade_id: str, names: list[str]) -> str:
    # the longest matching name first, so "x-ex-a" does not claim "x-ex-ab-tests"
    for name in sorted(names, key=len, reverse=True):
        if grade_id.startswith(name + "-"):
            return name
    raise AssertionError(f"graded cell {grade_id} belongs to no exercise")


def per_exercise(result: dict, names: list[str]) -> dict[str, tuple[float, float]]:
    scores: dict[str, list[float]] = {n: [0.0, 0.0] for n in names}
    for cell in result["cells"]:
        s = scores[exercise_of(cell["grade_id"], names)]
        s[0] += cell["score"]
        s[1] += cell["max_score"]
    return {n: (s[0], s[1]) for n, s in scores.items()}


def grade(chapter: str, nb, tmp_path: Path, tag: str) -> dict:
    path = tmp_path / tag / "exercises.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    result = grade_notebook(chapter, path, root=ROOT, cell_timeout=60, total_timeout=240)
    assert result["status"] == "graded", f"{chapter} {tag}: {result['reason']}"
    return result


def with_answers(source, answers: dict[str, str]):
    nb = copy.deepcopy(source)
    done = set()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.removesuffix("-solution") in answers and cell.metadata["nbgrader"].get("solution"):
            cell.source = answers[gid.removesuffix("-solution")]
            done.add(gid.removesuffix("-solution"))
    assert done == set(answers), f"no solution cell for {set(answers) - done}"
    return nb


def chapters() -> list[str]:
    have = sorted(p.name for p in WRONG.iterdir() if p.is_dir() and any(p.glob("*.py")))
    if os.environ.get("NNBASICS_EXERCISES_ALL") == "1":
        return have
    return [c for c in have if c in FAST_CHAPTERS]


@pytest.mark.parametrize("chapter", chapters())
def test_exercises_grade(chapter, tmp_path):
    source = nbformat.read(ROOT / "book" / chapter / "exercises.ipynb", as_version=4)
    names = exercises(source)
    answers = wrong_answers(chapter)
    covered = defaultdict(int)
    for batch in answers.values():
        for ex in batch:
            covered[ex] += 1
    assert set(covered) <= set(names), f"wrong answers for unknown exercises: {set(covered) - set(names)}"
    missing = [n for n in names if covered[n] < 2]
    assert not missing, f"{chapter}: exercises with fewer than 2 wrong answers: {missing}"

    solution = grade(chapter, source, tmp_path, "solution")
    assert solution["score"] == solution["max_score"] > 0, solution["cells"]
    full = per_exercise(solution, names)
    for name, (_score, top) in full.items():
        assert top > 0, f"{name} has no graded cell"

    blank_nb = nbformat.read(ROOT / "student" / chapter / "exercises.ipynb", as_version=4)
    blank = grade(chapter, blank_nb, tmp_path, "blank")
    assert blank["score"] == 0, [c for c in blank["cells"] if c["score"]]

    for n, batch in sorted(answers.items()):
        result = grade(chapter, with_answers(source, batch), tmp_path, f"wrong{n}")
        got = per_exercise(result, names)
        for ex in batch:
            assert got[ex][0] < full[ex][1], (
                f"{chapter}/{ex}_{n}.py earns full marks ({got[ex][0]}/{full[ex][1]}): "
                f"the tests do not catch it")


# Issue 23: every chapter's exercises page has the four kinds, each statement labelled with its
# kind, difficulty and expected time: "*Debug this · difficulty ★★☆ · about 15 min*".
KINDS = ("Implement the backward", "Compute by hand then check", "Experiment with a target", "Debug this")
LABEL = re.compile(r"^\*(?P<kind>[^*·\n]+?) · difficulty (?P<stars>[★☆]{3}) · about (?P<minutes>\d+) min\*$",
                   re.M)


def labels(nb) -> list[tuple[str, str]]:
    """(exercise label, kind) of every exercise statement of a notebook."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "{exercise}" in cell.source:
            name = re.search(r"^:label: (\S+)", cell.source, re.M)
            kind = LABEL.search(cell.source)
            found.append((name[1] if name else "?", kind["kind"] if kind else ""))
    return found


@pytest.mark.parametrize("chapter", sorted(p.parent.name for p in (ROOT / "book").glob("*/exercises.ipynb")))
def test_every_chapter_has_the_four_kinds_of_exercise(chapter):
    found = labels(nbformat.read(ROOT / "book" / chapter / "exercises.ipynb", as_version=4))
    unlabelled = [name for name, kind in found if not kind]
    assert not unlabelled, f"{chapter}: no '*Kind · difficulty ★☆☆ · about N min*' line in {unlabelled}"
    kinds = {kind for _name, kind in found}
    assert len(found) >= 4 and set(KINDS) <= kinds, f"{chapter}: missing {set(KINDS) - kinds}"


def test_the_kind_check_reads_a_statement():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "````{exercise} A title\n:label: x-ex-a\n\n"
        "*Debug this · difficulty ★★☆ · about 15 min*\n\nText.\n````")])
    assert labels(nb) == [("x-ex-a", "Debug this")]
    nb.cells[0].source = nb.cells[0].source.replace("*Debug this", "Debug this")
    assert labels(nb) == [("x-ex-a", "")]
