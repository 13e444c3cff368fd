"""Course tooling for authors and instructors (not taught in a chapter; see the README).

A separate distribution (``tools/``), installed for development only: the ``nnbasics`` package
students install holds the taught library and nothing else.

``python -m nnbasics_course COMMAND`` with COMMAND one of:

- ``notebooks``: print the notebooks listed in ``_toc.yml`` (what nbval runs);
- ``execute [NOTEBOOK ...]``: re-run notebooks in place and store their outputs;
- ``check-site HTML_DIR``: every ``_toc.yml`` entry became a page, no solution leaks, every image
  has alt text and every chapter links into the glossary;
- ``release``: generate the student release of every chapter's exercises with nbgrader;
- ``autograde SUBMISSIONS --grades CSV``: autograde ``SUBMISSIONS/<student>/<chapter>/``;
- ``verify``: for every chapter, the release leaks no solution line, the instructor's notebook
  autogrades to full marks and the untouched release to zero.
- ``export-grades [BATCH_OR_CSV] --to canvas|moodle --roster CSV --out CSV``: a batch's grades in
  the import format of Canvas or Moodle (`nnbasics_course.exports`).

A chapter's exercises are ``book/<chapter>/exercises.ipynb``: an nbgrader source notebook whose
solution cells hold ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` and whose hidden test cells
hold ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``. nbgrader works in a course folder
under ``_build/nbgrader`` that this module fills from ``book/``, so the book stays the one source.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .grading import BATCHES, GradingSetupError, autograde, new_batch_dir
from .release import NBGRADER, release, verify
from .site_check import check_site
from .toc import execute, toc_files, toc_notebooks

__all__ = ["main"]


def _latest_batch(root: Path, holding: str, command: str) -> Path | None:
    """The newest batch folder in ``_build/grading/`` that holds ``holding``; None (said) if none."""
    batches = sorted((root / BATCHES).glob(f"*/{holding}"))
    if not batches:
        print(f"{command}: no batch in _build/grading/: run make autograde first", file=sys.stderr)
        return None
    return batches[-1].parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbasics_course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("notebooks", help="print the notebooks of _toc.yml")
    p = sub.add_parser("execute", help="re-run notebooks in place (default: all of _toc.yml)")
    p.add_argument("notebooks", nargs="*", type=Path)
    p = sub.add_parser("check-site", help="check a built book")
    p.add_argument("html_dir", type=Path)
    p.add_argument("--student", action="store_true", help="a student build: no solution at all")
    sub.add_parser("release", help="generate the student release")
    p = sub.add_parser("autograde", help="autograde SUBMISSIONS/<student>/<chapter>/")
    p.add_argument("submissions", type=Path)
    p.add_argument("--grades", type=Path, default=Path("grades.csv"))
    p.add_argument("--batch-dir", type=Path, help="where the batch goes (default: _build/grading/<time>)")
    p.add_argument("--jobs", type=int, default=2, help="submissions graded at the same time")
    p.add_argument("--cell-timeout", type=float, help="seconds per cell (default 60)")
    p.add_argument("--total-timeout", type=float, help="seconds per notebook in all (default 300)")
    p = sub.add_parser("feedback", help="(re)write one HTML per student and chapter of a batch")
    p.add_argument("batch", type=Path, nargs="?", help="a batch folder (default: the latest)")
    p.add_argument("--show-hidden", action="store_true", help="include the hidden tests' source")
    sub.add_parser("verify", help="the instructor checks of the test command")
    p = sub.add_parser("export-grades", help="a batch's grades as a Canvas or Moodle import CSV")
    p.add_argument("grades", type=Path, nargs="?",
                   help="a batch folder or grades CSV (default: the latest batch)")
    p.add_argument("--to", choices=["canvas", "moodle"], required=True)
    p.add_argument("--roster", type=Path, required=True,
                   help="CSV: a column 'folder' (the student's folder) and their Canvas or Moodle identity")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--id-column", default="Email address",
                   help="Moodle: the roster's identifier column (Email address, Username or ID number)")
    args = parser.parse_args(argv)
    root = args.root.resolve()

    if args.command == "notebooks":
        print("\n".join(str(p.relative_to(root)) for p in toc_notebooks(root)))
    elif args.command == "execute":
        execute(args.notebooks or toc_notebooks(root))
    elif args.command == "check-site":
        problems = check_site(root, args.html_dir, student=args.student)
        for problem in problems:
            print(f"check-site: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"check-site: {len(toc_files(root))} pages present, no source or solution leaks, "
              "every image has alt text, every chapter links the glossary")
    elif args.command == "release":
        for chapter, path in release(root).items():
            print(f"{chapter}: {path.relative_to(root)}")
        print(f"Student release: {(root / NBGRADER / 'release').relative_to(root)}/ "
              "(hand out each chapter's folder)")
    elif args.command == "autograde":
        batch = (args.batch_dir or new_batch_dir(root)).resolve()
        try:
            rows = autograde(root, args.submissions.resolve(), args.grades, batch_dir=batch, jobs=args.jobs,
                             cell_timeout=args.cell_timeout, total_timeout=args.total_timeout)
        except GradingSetupError as err:
            print(f"autograde: {err}", file=sys.stderr)
            return 2
        failed = [r for r in rows if r["status"] != "graded"]
        for r in failed:
            print(f"FAILED {r['student'] or '?'} {r['chapter'] or '?'}: {r['reason']}", file=sys.stderr)
        print(f"{len(rows) - len(failed)} submissions graded, {len(failed)} failed; grades in {args.grades} "
              f"and {batch}/ (feedback in {batch}/feedback/)")
        return 1 if failed else 0
    elif args.command == "feedback":
        from . import grading

        batch = args.batch or _latest_batch(root, "results", "feedback")
        if batch is None:
            return 1
        pages = grading.feedback_from_results(root, batch, show_hidden=args.show_hidden)
        print(f"{len(pages)} feedback pages in {batch / 'feedback'}/")
    elif args.command == "export-grades":
        from .exports import export_grades, read_grades

        grades = args.grades or _latest_batch(root, "grades.csv", "export-grades")
        if grades is None:
            return 1
        try:
            table = export_grades(grades, args.to, args.roster, args.out, id_column=args.id_column)
        except ValueError as e:
            print(f"export-grades: {e}", file=sys.stderr)
            return 1
        for r in read_grades(grades):
            if r["status"] != "graded" and r["student"]:
                done = (f"exported with the grader's score {r['score']}" if r["chapter"] and r["max_score"]
                        else "no chapter: its cells are empty")
                print(f"export-grades: {r['student']} {r['chapter'] or '?'} failed ({r['reason']}): {done}",
                      file=sys.stderr)
        students = len(table) - (2 if args.to == "canvas" else 1)
        chapters = len(table[0]) - (5 if args.to == "canvas" else 1)
        print(f"{students} student(s), {chapters} chapter(s) from {grades} in {args.to.capitalize()}'s "
              f"import format: {args.out}")
    elif args.command == "verify":
        try:
            problems = verify(root)
        except GradingSetupError as err:
            print(f"verify: {err}", file=sys.stderr)
            return 2
        for problem in problems:
            print(f"verify: {problem}", file=sys.stderr)
        return 1 if problems else 0
    return 0

