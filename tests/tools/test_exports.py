"""A batch's grades in Canvas's and Moodle's import formats (issue 34, item 6;
`nnbasics_course.exports`): the header and columns of each format exactly, the values (failed
submissions keep the grader's score, missing ones are empty), and the roster's errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nnbasics_course import exports, grading
from nnbasics_course.cli import main

GRADES = [
    # student, chapter, score, max_score, status, reason
    ("ada", "init", "11", "11", "graded", ""),
    ("ada", "losses", "12.5", "18", "graded", ""),
    ("bob", "init", "0", "0", "failed", "Kernel died (os._exit)"),  # the grader's max_score: 0
    ("bob", "losses", "18", "18", "graded", ""),
    ("cy", "init", "7", "11", "graded", ""),  # no losses submission
    ("dee", "", "0", "", "failed", "no exercises.ipynb in dee/"),  # nothing where it belongs
]
CANVAS_ROSTER = [
    ("folder", "Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
    ("ada", "Lovelace, Ada", "101", "S1", "ada@uni.edu", "Sec A"),
    ("bob", "Builder, Bob", "", "S2", "", "Sec B"),
    ("cy", "Young, Cy", "", "", "cy@uni.edu", ""),
    ("dee", "Dee, Dee", "104", "", "", "Sec A"),
    ("eve", "Absent, Eve", "105", "", "", "Sec A"),  # in the class, not in the batch
]
MOODLE_ROSTER = [
    ("folder", "Email address", "ID number"),
    ("ada", "ada@uni.edu", "1001"),
    ("bob", "bob@uni.edu", "1002"),
    ("cy", "cy@uni.edu", "1003"),
    ("dee", "dee@uni.edu", ""),
]


def write_csv(path: Path, rows) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def batch(tmp_path) -> Path:
    folder = tmp_path / "batch"
    folder.mkdir()
    write_csv(folder / "grades.csv", [exports.GRADES_COLUMNS, *GRADES])
    return folder


@pytest.fixture
def canvas_roster(tmp_path) -> Path:
    return write_csv(tmp_path / "canvas-roster.csv", CANVAS_ROSTER)


@pytest.fixture
def moodle_roster(tmp_path) -> Path:
    return write_csv(tmp_path / "moodle-roster.csv", MOODLE_ROSTER)


def test_the_grades_columns_are_the_graders():
    assert list(exports.GRADES_COLUMNS) == grading.FIELDS


def test_canvas_file(batch, canvas_roster, tmp_path):
    out = tmp_path / "canvas.csv"
    exports.export_grades(batch, "canvas", canvas_roster, out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,init,losses",
        "Points Possible,,,,,11,18",
        '"Lovelace, Ada",101,S1,ada@uni.edu,Sec A,11,12.5',
        '"Builder, Bob",,S2,,Sec B,0,18',
        '"Young, Cy",,,cy@uni.edu,,7,',
        '"Dee, Dee",104,,,Sec A,,',
    ]


def test_canvas_header_as_canvas_reads_it(batch, canvas_roster, tmp_path):
    """Canvas's lib/gradebook_importer.rb: row[0] has "Student", row[1] "ID", then "SIS User ID"
    and "SIS Login ID", the last student column "Section"; a "Points Possible" row; assignments after."""
    out = tmp_path / "canvas.csv"
    exports.export_grades(batch, "canvas", canvas_roster, out)
    header, points, *students = read_csv(out)
    assert "Student" in header[0] and "ID" in header[1]
    assert header[2:5] == ["SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == ["init", "losses"]
    assert "Points Possible" in points[0] and points[1:5] == ["", "", "", ""]
    assert all(len(row) == len(header) for row in [points, *students])
    # every student carries an ID, SIS User ID or SIS Login ID: Canvas never has to match a name
    assert all(any(row[1:4]) for row in students)


def test_moodle_file(batch, moodle_roster, tmp_path):
    out = tmp_path / "moodle.csv"
    exports.export_grades(batch, "moodle", moodle_roster, out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "Email address,init,losses",
        "ada@uni.edu,11,12.5",
        "bob@uni.edu,0,18",
        "cy@uni.edu,7,",
        "dee@uni.edu,,",
    ]


def test_moodle_by_id_number(batch, tmp_path):
    roster = write_csv(tmp_path / "r.csv", [r[:1] + r[2:] for r in MOODLE_ROSTER[:4]])
    rows = exports.read_grades(batch)[:5]  # without dee, who has no ID number
    table = exports.to_moodle(rows, exports.read_roster(roster), id_column="ID number")
    assert table == [["ID number", "init", "losses"], ["1001", "11", "12.5"], ["1002", "0", "18"],
                     ["1003", "7", ""]]


def test_a_student_missing_from_the_roster_is_named(batch, canvas_roster, tmp_path):
    roster = write_csv(tmp_path / "short.csv", [row for row in CANVAS_ROSTER if row[0] != "bob"])
    with pytest.raises(ValueError, match=r"missing from the roster .*short\.csv: bob\b"):
        exports.export_grades(batch, "canvas", roster, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    roster = write_csv(tmp_path / "short.csv", [row for row in MOODLE_ROSTER if row[0] not in ("ada", "cy")])
    with pytest.raises(ValueError, match=r"2 student\(s\) .* ada, cy "):
        exports.export_grades(batch, "moodle", roster, tmp_path / "out.csv")


def test_a_student_without_an_lms_identity_is_named(batch, tmp_path):
    rows = [list(r) for r in CANVAS_ROSTER]
    rows[3][2:5] = ["", "", ""]  # cy: a name only
    roster = write_csv(tmp_path / "names.csv", rows)
    with pytest.raises(ValueError, match=r"no ID or SIS User ID or SIS Login ID for: cy$"):
        exports.export_grades(batch, "canvas", roster, tmp_path / "out.csv")
    roster = write_csv(tmp_path / "r.csv", [r[:1] + r[2:] for r in MOODLE_ROSTER])
    with pytest.raises(ValueError, match=r"no ID number for: dee$"):
        exports.export_grades(batch, "moodle", roster, tmp_path / "out.csv", id_column="ID number")


def test_roster_and_input_errors(batch, tmp_path):
    no_folder = write_csv(tmp_path / "nofolder.csv", [("student", "Email address"), ("ada", "a@b")])
    with pytest.raises(ValueError, match="no column 'folder'"):
        exports.read_roster(no_folder)
    twice = write_csv(tmp_path / "twice.csv", [("folder", "Email address"), ("ada", "a@b"), ("ada", "c@d")])
    with pytest.raises(ValueError, match="lists 'ada' twice"):
        exports.read_roster(twice)
    with pytest.raises(ValueError, match="not 'Name'"):
        exports.to_moodle([], {}, id_column="Name")
    with pytest.raises(ValueError, match="unknown format 'blackboard'"):
        exports.export_grades(batch, "blackboard", no_folder, tmp_path / "out.csv")
    not_grades = write_csv(tmp_path / "g.csv", [("name", "grade"), ("ada", "1")])
    with pytest.raises(ValueError, match="no column student, chapter, score, max_score, status, reason"):
        exports.read_grades(not_grades)
    with pytest.raises(ValueError, match="no grades CSV"):
        exports.read_grades(tmp_path / "nowhere")


def test_inconsistent_batches_are_refused():
    row = dict(zip(exports.GRADES_COLUMNS, GRADES[0], strict=True))
    with pytest.raises(ValueError, match="init twice"):
        exports.to_moodle([row, row], {"ada": {"Email address": "a@b"}})
    other = {**row, "student": "zed", "max_score": "12"}
    with pytest.raises(ValueError, match="different maximum scores: 11, 12"):
        exports.to_moodle([row, other], {})
    with pytest.raises(ValueError, match="not a number"):
        exports.to_moodle([{**row, "score": "eleven"}], {})


def test_command_line(batch, canvas_roster, moodle_roster, tmp_path, capsys):
    out = tmp_path / "c.csv"
    assert main(["export-grades", str(batch), "--to", "canvas", "--roster", str(canvas_roster),
                 "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "4 student(s), 2 chapter(s)" in said.out
    assert "bob init failed (Kernel died (os._exit)): exported with the grader's score 0" in said.err
    assert "dee ? failed (no exercises.ipynb in dee/): no chapter: its cells are empty" in said.err
    assert read_csv(out)[0][-2:] == ["init", "losses"]
    out = tmp_path / "m.csv"
    assert main(["export-grades", str(batch / "grades.csv"), "--to", "moodle", "--roster",
                 str(moodle_roster), "--out", str(out)]) == 0
    assert read_csv(out)[1] == ["ada@uni.edu", "11", "12.5"]
    roster = write_csv(tmp_path / "short.csv", MOODLE_ROSTER[:2])
    assert main(["export-grades", str(batch), "--to", "moodle", "--roster", str(roster),
                 "--out", str(tmp_path / "x.csv")]) == 1
    assert "bob, cy, dee" in capsys.readouterr().err


def code_blocks(markdown: str) -> list[list[str]]:
    """The lines of every fenced code block of a markdown text, without their indentation."""
    blocks, current = [], None
    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line.strip())
    return blocks


def test_the_instructors_page_shows_what_is_written(batch, canvas_roster, moodle_roster, tmp_path):
    """book/instructors.md, "Into Canvas or Moodle": each example file is the start of what the
    exporter writes for this test's batch, and each roster example is a start of this test's."""
    page = (Path(__file__).resolve().parents[2] / "book" / "instructors.md").read_text(encoding="utf-8")
    section = page.split("### Into Canvas or Moodle", 1)[1].split("\n## ", 1)[0]
    blocks = code_blocks(section)
    for to, roster in (("canvas", canvas_roster), ("moodle", moodle_roster)):
        out = tmp_path / f"{to}.csv"
        exports.export_grades(batch, to, roster, out)
        written = out.read_text(encoding="utf-8").splitlines()
        shown = [b for b in blocks if b and b[0] == written[0]]
        assert len(shown) == 1, f"no example of the {to} file on the instructors' page"
        assert shown[0] == written[:len(shown[0])] and len(shown[0]) >= 3
    rosters = [list(csv.DictReader(b)) for b in blocks if b and b[0].startswith("folder,")]
    assert len(rosters) == 2, "the instructors' page shows a Canvas and a Moodle roster"
    for shown, roster in zip(rosters, (CANVAS_ROSTER, MOODLE_ROSTER), strict=True):
        ours = {row[0]: dict(zip(roster[0], row, strict=True)) for row in roster[1:]}
        assert shown and all(row.items() <= ours[row["folder"]].items() for row in shown)


@pytest.mark.parametrize(("argv", "command"), [
    (["feedback"], "feedback"),
    (["export-grades", "--to", "canvas", "--roster", "roster.csv", "--out", "out.csv"], "export-grades"),
])
def test_without_a_batch_the_commands_say_so(argv, command, tmp_path, capsys):
    assert main(["--root", str(tmp_path), *argv]) == 1
    assert capsys.readouterr().err == f"{command}: no batch in _build/grading/: run make autograde first\n"
    assert not (tmp_path / "out.csv").exists()
