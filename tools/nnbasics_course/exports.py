"""A batch's grades in the import formats of Canvas and Moodle (``python -m nnbasics_course
export-grades``, ``make grades-export``).

The input is the grades CSV of ``make autograde`` (columns student, chapter, score, max_score,
status, reason; `nnbasics_course.grading`), or the batch folder that holds it. Students there are
their submission folders' names; a roster CSV maps each folder name to the student's identity in
the learning platform:

- **Canvas** (`to_canvas`): the roster has a column ``folder`` and any of Canvas's own gradebook
  export columns ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section`` (so a
  gradebook exported from Canvas, with a ``folder`` column added, is a roster). Each student needs
  an ``ID``, ``SIS User ID`` or ``SIS Login ID``: Canvas falls back to matching names, which two
  students can share. The file is Canvas's gradebook import CSV: the header
  ``Student,ID,SIS User ID,SIS Login ID,Section,<chapter>...``, then a ``Points Possible`` row
  (each chapter's maximum score: a new assignment gets it), then one row per student.
- **Moodle** (`to_moodle`): the roster has a column ``folder`` and the identifier column chosen
  (default ``Email address``; or ``Username``, ``ID number``). The file is what Moodle's "Import
  grades from CSV" reads: that identifier column, then one column per chapter. On import, map the
  identifier column to the same user field ("Identify user by"), and each chapter column to its
  grade item (or "new grade item"); give the grade item the chapter's maximum score.

Both: one column per chapter of the batch (its folder name, e.g. ``losses``; name the assignment
or grade item the same, or map it on import), the score as a number. A submission the grader
marked ``failed`` (invalid notebook, dead kernel, timeout...) is exported with the grader's score,
which gives 0 for what could not be graded: it is the number the student's feedback page shows. A
student with no submission for a chapter of the batch gets an empty cell, which both platforms
read as "no grade" (Canvas: blank or ``-`` is no score; Moodle: ``''`` or ``-`` is no grade):
missing work is left to the platform's own missing-work policy rather than written as a zero that
would also overwrite a grade given in another batch. Only the batch's students and chapters are
in the file, so importing it never touches anyone else's grades.

Sources for both formats (read December 2026):

- Canvas's importer, ``lib/gradebook_importer.rb`` of instructure/canvas-lms
  (https://github.com/instructure/canvas-lms/blob/master/lib/gradebook_importer.rb): the header
  must start ``Student``, ``ID``, then ``SIS User ID``, ``SIS Login ID``, and the student columns
  end with ``Section``; a row whose first cell contains ``Points Possible`` sets the assignments'
  points; students are matched by ID, then SIS User ID, then SIS Login ID, then name; an
  assignment column is matched by ``Title (id)`` or by title, else a new assignment is created;
  a blank or ``-`` cell is no score. Its test file
  ``spec/fixtures/gradebooks/basic_course_with_sis_login_id.csv`` shows the layout.
- "Import a CSV File to Carmen Grades" (Ohio State's Canvas guide,
  https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades):
  student name or ID or SIS User ID, SIS Login ID, Section, then assignment columns.
- Moodle's "Grade import" page (https://docs.moodle.org/311/en/Grade_import): choose the column
  mapping after upload; "Map from" a column "Map to" ``useremail`` or ``useridnumber``.
- Moodle's ``grade/import/csv/classes/load_data.php`` of moodle/moodle
  (https://github.com/moodle/moodle/blob/main/grade/import/csv/classes/load_data.php): users are
  identified by ``id``, ``idnumber``, ``email`` or ``username``; a grade of ``''`` or ``-`` is no
  grade; grades above the site's maximum (100 by default) are refused.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = ["CANVAS_COLUMNS", "GRADES_COLUMNS", "MOODLE_ID_COLUMNS", "export_grades", "read_grades",
           "read_roster", "to_canvas", "to_moodle"]

GRADES_COLUMNS = ("student", "chapter", "score", "max_score", "status", "reason")  # grading.FIELDS
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_IDS = ("ID", "SIS User ID", "SIS Login ID")
MOODLE_ID_COLUMNS = ("Email address", "Username", "ID number")
FOLDER = "folder"


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: {text!r} is not a number") from None


def _fmt(x: float) -> str:
    return f"{x:g}"


def read_grades(path: str | Path) -> list[dict[str, str]]:
    """The rows of a grades CSV, or of ``grades.csv`` in a batch folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "grades.csv"
    if not path.is_file():
        raise ValueError(f"no grades CSV at {path} (give a batch folder of make autograde, or its CSV)")
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in GRADES_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} is not a grades CSV of make autograde: no column {', '.join(missing)}")
        return list(reader)


def read_roster(path: str | Path) -> dict[str, dict[str, str]]:
    """A roster CSV as ``{folder: {column: value}}``; its column ``folder`` is the batch's student."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = [c.strip() for c in reader.fieldnames or []]
        if FOLDER not in columns:
            raise ValueError(f"the roster {path} has no column {FOLDER!r} (the student's folder name "
                             f"in the submissions); its columns: {', '.join(columns) or 'none'}")
        roster: dict[str, dict[str, str]] = {}
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            folder = row[FOLDER]
            if not folder:
                continue
            if folder in roster:
                raise ValueError(f"the roster {path} lists {folder!r} twice (line {line})")
            roster[folder] = row
    return roster


def _table(rows: Iterable[Mapping[str, str]]) -> tuple[list[str], list[str], dict, dict[str, float]]:
    """Students, chapters (in order of appearance), ``{(student, chapter): score}`` and each
    chapter's maximum score, from a batch's rows."""
    students: list[str] = []
    chapters: list[str] = []
    scores: dict[tuple[str, str], float] = {}
    maxima: dict[str, set[float]] = {}
    fallback: dict[str, float] = {}
    for row in rows:
        student, chapter = row.get("student") or "", row.get("chapter") or ""
        if not student:
            continue  # a batch-level problem (no submissions folder): nobody to grade
        if student not in students:
            students.append(student)
        if not chapter or not (row.get("max_score") or ""):
            continue  # no notebook where one belongs: no chapter to put a score in
        if (student, chapter) in scores:
            raise ValueError(f"the grades list {student} / {chapter} twice")
        if chapter not in chapters:
            chapters.append(chapter)
        scores[student, chapter] = _number(row["score"], f"score of {student} / {chapter}")
        top = _number(row["max_score"], f"max_score of {student} / {chapter}")
        fallback[chapter] = max(fallback.get(chapter, 0.0), top)
        if row.get("status") == "graded":
            maxima.setdefault(chapter, set()).add(top)
    points = {}
    for chapter in chapters:
        found = maxima.get(chapter, set())
        if len(found) > 1:
            raise ValueError(f"the graded submissions of {chapter} have different maximum scores: "
                             f"{', '.join(map(_fmt, sorted(found)))}")
        points[chapter] = found.pop() if found else fallback[chapter]
    return students, chapters, scores, points


def _identities(students: Sequence[str], roster: Mapping[str, Mapping[str, str]], roster_name: str,
                needed: Sequence[str], lms: str) -> None:
    missing = [s for s in students if s not in roster]
    if missing:
        raise ValueError(f"{len(missing)} student(s) of the batch missing from the roster {roster_name}: "
                         f"{', '.join(missing)} (add a row with {FOLDER}=<folder name> and their {lms} "
                         f"identity: {' or '.join(needed)})")
    unknown = [s for s in students if not any(roster[s].get(c) for c in needed)]
    if unknown:
        raise ValueError(f"the roster {roster_name} gives no {' or '.join(needed)} for: {', '.join(unknown)}")


def to_canvas(rows: Iterable[Mapping[str, str]], roster: Mapping[str, Mapping[str, str]],
              roster_name: str = "roster") -> list[list[str]]:
    """The batch as Canvas's gradebook import CSV: header, ``Points Possible`` row, one row per student."""
    students, chapters, scores, points = _table(rows)
    _identities(students, roster, roster_name, CANVAS_IDS, "Canvas")
    table = [[*CANVAS_COLUMNS, *chapters],
             ["Points Possible", *[""] * (len(CANVAS_COLUMNS) - 1), *(_fmt(points[c]) for c in chapters)]]
    for student in students:
        who = roster[student]
        table.append([who.get(c, "") for c in CANVAS_COLUMNS]
                     + [_fmt(scores[student, c]) if (student, c) in scores else "" for c in chapters])
    return table


def to_moodle(rows: Iterable[Mapping[str, str]], roster: Mapping[str, Mapping[str, str]],
              id_column: str = "Email address", roster_name: str = "roster") -> list[list[str]]:
    """The batch as a CSV for Moodle's "Import grades from CSV": the identifier column
    ``id_column`` (one of `MOODLE_ID_COLUMNS`), then one column per chapter."""
    if id_column not in MOODLE_ID_COLUMNS:
        raise ValueError(f"Moodle identifies users by {', '.join(MOODLE_ID_COLUMNS)}, not {id_column!r}")
    students, chapters, scores, _ = _table(rows)
    _identities(students, roster, roster_name, [id_column], "Moodle")
    table = [[id_column, *chapters]]
    for student in students:
        table.append([roster[student][id_column]]
                     + [_fmt(scores[student, c]) if (student, c) in scores else "" for c in chapters])
    return table


def export_grades(grades: str | Path, to: str, roster: str | Path, out: str | Path,
                  id_column: str = "Email address") -> list[list[str]]:
    """Write the grades CSV (or batch folder) ``grades`` to ``out`` in the format ``to``
    (``canvas`` or ``moodle``) with the identities of ``roster``; return the rows written."""
    if to not in ("canvas", "moodle"):
        raise ValueError(f"unknown format {to!r}: canvas or moodle")
    rows, people = read_grades(grades), read_roster(roster)
    if to == "canvas":
        table = to_canvas(rows, people, roster_name=str(roster))
    else:
        table = to_moodle(rows, people, id_column=id_column, roster_name=str(roster))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(table)
    return table
