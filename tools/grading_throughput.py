"""How many submissions the autograder grades per minute, with ``JOBS`` = 1, 2, ... (issue 34).

A batch of ``--students`` copies of the instructor's notebook of every chapter with exercises
(a full answer runs every cell, as a good student's does), graded by `grade_batch` in the
sandbox exactly as ``make autograde`` grades, once per value of ``--jobs``. Prints a Markdown
table (submissions, wall time, submissions per minute, per minute and core) and the estimate
for a class, for book/performance.md:

    .venv/bin/python tools/grading_throughput.py --students 3 --jobs 1 2 4
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from nnbasics_course import grading
from nnbasics_course.toc import EXERCISES, exercise_chapters, exercises_notebook


def measure(root: Path, students: int, jobs: int) -> dict:
    chapters = exercise_chapters(root)
    with tempfile.TemporaryDirectory(prefix="nnbasics-throughput-") as tmp:
        subs = Path(tmp) / "subs"
        for s in range(students):
            for chapter in chapters:
                path = subs / f"student{s:03d}" / chapter / EXERCISES
                path.parent.mkdir(parents=True)
                shutil.copyfile(exercises_notebook(root, chapter), path)
        started = time.perf_counter()
        rows = grading.grade_batch(root, subs, Path(tmp) / "batch", jobs=jobs, feedback=False)
        seconds = time.perf_counter() - started
    wrong = [r for r in rows if r["status"] != "graded" or r["score"] != r["max_score"]]
    if wrong:
        raise SystemExit(f"not every full answer got full marks: {wrong[:3]}")
    per_minute = 60 * len(rows) / seconds
    cores = min(jobs, os.cpu_count() or 1)
    return {"jobs": jobs, "submissions": len(rows), "seconds": seconds, "per_minute": per_minute,
            "per_minute_core": per_minute / cores, "chapters": len(chapters)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=Path.cwd())
    p.add_argument("--students", type=int, default=3)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--class-size", type=int, default=200)
    args = p.parse_args(argv)
    root = args.root.resolve()
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}; "
          f"sandbox: {grading._sandbox.status()}", file=sys.stderr)
    results = [measure(root, args.students, jobs) for jobs in args.jobs]
    print("| JOBS | submissions | wall time (s) | submissions / min | per min and core |")
    print("|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['jobs']} | {r['submissions']} | {r['seconds']:.0f} | {r['per_minute']:.1f} | "
              f"{r['per_minute_core']:.1f} |")
    best = max(results, key=lambda r: r["per_minute"])
    total = args.class_size * best["chapters"]
    print(f"\n{args.class_size} students x {best['chapters']} chapters = {total} submissions: "
          f"{total / best['per_minute']:.0f} min at JOBS={best['jobs']} on this machine "
          f"({os.cpu_count()} cores); at {best['per_minute_core']:.1f} per minute and core, "
          f"{total / (best['per_minute_core'] * 8):.0f} min on 8 cores (JOBS=8).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
