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

A chapter's exercises are ``book/<chapter>/exercises.ipynb``: an nbgrader source notebook whose
solution cells hold ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` and whose hidden test cells
hold ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``. nbgrader works in a course folder
under ``_build/nbgrader`` that this module fills from ``book/``, so the book stays the one source.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Leak",
    "autograde",
    "check_site",
    "exercise_chapters",
    "find_leaks",
    "glossary_links",
    "images_without_alt",
    "marked_lines",
    "release",
    "toc_files",
    "toc_notebooks",
    "verify",
]

EXERCISES = "exercises.ipynb"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
INSTRUCTOR, UNTOUCHED = "instructor-solution", "untouched-release"


# --- The table of contents ---------------------------------------------------------------------


def toc_files(root: Path) -> list[Path]:
    """Every file named in ``root/_toc.yml``, in order, with its real suffix."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    names.append(str(node[key]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []):
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    files = []
    for name in names:
        matches = [root / f"{name}{s}" for s in (".ipynb", ".md") if (root / f"{name}{s}").exists()]
        if not matches:
            raise FileNotFoundError(f"_toc.yml names {name!r}, but no {name}.ipynb or .md exists")
        files.append(matches[0])
    return files


def toc_notebooks(root: Path) -> list[Path]:
    """The notebooks of the book, in table-of-contents order."""
    return [p for p in toc_files(root) if p.suffix == ".ipynb"]


def exercise_chapters(root: Path) -> list[str]:
    """Chapter folders (relative to ``book/``) whose exercises notebook is in the book."""
    book = root / "book"
    return [p.parent.relative_to(book).as_posix() for p in toc_notebooks(root) if p.name == EXERCISES]


# --- Executing notebooks -----------------------------------------------------------------------


def execute(paths: Iterable[Path], timeout: int = 600) -> None:
    """Re-run each notebook from a fresh kernel and store its outputs in place.

    Progress bars are switched off in the kernel (``TQDM_DISABLE=1``): a stored bar would show the
    book's reader a frozen ``0%`` widget; a reader's own JupyterLab still shows live bars.
    """
    import os

    import nbformat
    from nbclient import NotebookClient

    os.environ["TQDM_DISABLE"] = "1"  # the kernels started below inherit it
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            store_widget_state=False,  # the book renders no live widget; keep diffs small
            resources={"metadata": {"path": str(path.parent)}},
        )
        print(f"executing {path}", flush=True)
        client.execute()
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)


# --- Solutions and leaks -------------------------------------------------------------------------


def marked_lines(source: str, markers: tuple[str, str]) -> list[str]:
    """The stripped, non-blank lines strictly between each pair of ``markers`` in ``source``."""
    begin, end = markers
    lines, inside = [], False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith(begin):
            inside = True
        elif text.startswith(end):
            inside = False
        elif inside and text:
            lines.append(text)
    return lines


def _sources(nb_path: Path, cell_type: str | None = "code") -> list[str]:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    return [cell.source for cell in nb.cells if cell_type in (None, cell.cell_type)]


def secret_lines(nb_path: Path) -> dict[str, list[str]]:
    """The solution lines and hidden-test lines of an nbgrader source notebook.

    Lines of punctuation alone (a closing ``}``) say nothing and are left out, and so are lines
    the notebook also shows outside every marked region (a "debug this" exercise hands out the
    broken code, which shares most lines with its fix).
    """
    sources = _sources(nb_path)
    public = set()
    for s in _sources(nb_path, None):
        inside = False
        for line in s.splitlines():
            text = line.strip()
            if text.startswith((SOLUTION_MARKERS[0], HIDDEN_MARKERS[0])):
                inside = True
            elif text.startswith((SOLUTION_MARKERS[1], HIDDEN_MARKERS[1])):
                inside = False
            elif not inside:
                public.add(text)
    return {
        kind: [ln for s in sources for ln in marked_lines(s, markers)
               if re.search(r"\w", ln) and ln not in public]
        for kind, markers in (("solution", SOLUTION_MARKERS), ("hidden test", HIDDEN_MARKERS))
    }


@dataclass(frozen=True)
class Leak:
    """A secret line found where students can read it."""

    kind: str
    line: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} line {self.line!r} found in {self.where}"


def find_leaks(source_nb: Path, released_nb: Path) -> list[Leak]:
    """Every solution or hidden-test line of ``source_nb`` that appears in ``released_nb``.

    Every cell of the release is searched, code and markdown, line by line.
    """
    released = {ln.strip() for s in _sources(released_nb, None) for ln in s.splitlines()}
    return [
        Leak(kind, line, str(released_nb))
        for kind, lines in secret_lines(source_nb).items()
        for line in lines
        if line in released
    ]


# --- The built site ------------------------------------------------------------------------------


def _page_text(html: str, drop_solutions: bool) -> tuple[str, int]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    solutions = soup.select("div.solution")
    for div in solutions:
        classes = div.get("class") or []
        if "dropdown" not in classes:
            raise ValueError("a solution is not in a collapsed dropdown (add ':class: dropdown')")
        if drop_solutions:
            div.decompose()
    return soup.get_text("\n"), len(solutions)


_IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.I)


def images_without_alt(html: str) -> list[str]:
    """The ``src`` of every image in ``html`` whose alt text is missing, empty or only a file name.

    Sphinx writes an image's own path as its alt text when it was given none, which is what a
    notebook's figure gets unless its cell metadata sets ``mystnb.image.alt``.
    """
    from bs4 import BeautifulSoup

    missing = []
    for img in BeautifulSoup(html, "html.parser").find_all("img"):
        src, alt = img.get("src", ""), (img.get("alt") or "").strip()
        if not alt or alt == src or _IMAGE_FILE.search(alt):
            missing.append(src)
    return missing


def glossary_links(html: str) -> int:
    """How many links of ``html`` lead to a term of the glossary page, as the ``{term}`` role makes.

    Links to the page itself (``glossary.html`` without a ``#term-`` anchor) do not count: the
    navigation bar of every page has one.
    """
    from bs4 import BeautifulSoup

    links = BeautifulSoup(html, "html.parser").find_all("a", href=True)
    targets = (a["href"].partition("#") for a in links)
    return sum(1 for page, _, anchor in targets
               if page.endswith("glossary.html") and anchor.startswith("term-"))


def check_site(root: Path, html_dir: Path, student: bool = False) -> list[str]:
    """Problems with a built book: missing pages, published sources, leaked solutions, and pages
    that leave a reader without alt text or glossary links.

    - every ``_toc.yml`` entry has its HTML page;
    - no ``_sources/`` folder and no ``.ipynb`` download (they would publish the solutions);
    - no hidden-test line on any page; solution lines only inside collapsed solution dropdowns,
      or nowhere at all in a ``student`` build;
    - every image of every page has alt text of its own (see `images_without_alt`);
    - every chapter (a notebook other than the exercises) links at least one glossary term.
    """
    problems = []
    if not html_dir.is_dir():
        return [f"{html_dir} does not exist: build the book first"]
    chapters = {p for p in toc_notebooks(root) if p.name != EXERCISES}
    for path in toc_files(root):
        page = html_dir / path.relative_to(root).with_suffix(".html")
        name = page.relative_to(html_dir)
        if not page.exists():
            problems.append(f"{path.relative_to(root)} has no page {name}")
            continue
        html = page.read_text(errors="replace")
        problems += [f"{name}: image {src} has no alt text (set mystnb.image.alt in the cell's metadata)"
                     for src in images_without_alt(html)]
        if path in chapters and not glossary_links(html):
            problems.append(f"{name}: no link into the glossary (link each term's first use with {{term}})")
    if (html_dir / "_sources").exists():
        problems.append("_sources/ is published: set html_copy_source: false")
    problems += [f"{p.relative_to(html_dir)} is published" for p in html_dir.rglob("*.ipynb")]

    secrets = {}
    for chapter in exercise_chapters(root):
        for kind, lines in secret_lines(root / "book" / chapter / EXERCISES).items():
            secrets.update({line: f"{chapter} {kind}" for line in lines})
    # A line the library's own source holds is published by design (the API page, show_source):
    # a generic solution line such as `optimizer.step()` is no leak when a docstring shows it.
    library = {ln.strip() for py in (root / "src" / "nnbasics").rglob("*.py")
               for ln in py.read_text(encoding="utf-8").splitlines()}
    secrets = {ln: kind for ln, kind in secrets.items() if ln not in library}
    hidden = {ln for ln, kind in secrets.items() if student or kind.endswith("hidden test")}
    for page in sorted(html_dir.rglob("*.html")):
        html = page.read_text(errors="replace")
        try:
            visible, _ = _page_text(html, drop_solutions=True)
        except ValueError as err:
            problems.append(f"{page.relative_to(html_dir)}: {err}")
            continue
        full, _ = _page_text(html, drop_solutions=False)
        visible_lines = {ln.strip() for ln in visible.splitlines()}
        full_lines = {ln.strip() for ln in full.splitlines()}
        for line, kind in secrets.items():
            if line in visible_lines or (line in hidden and line in full_lines):
                problems.append(f"{page.relative_to(html_dir)}: {kind} line {line!r} is visible")
    return problems


# --- nbgrader: release and autograde -------------------------------------------------------------


def _course_dir(root: Path) -> Path:
    return root / "_build" / "nbgrader"


def _api(course_dir: Path):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course_dir)
    config.CourseDirectory.db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    # Only notebooks belong in a release: no data, no caches, no solutions in side files.
    config.CourseDirectory.ignore = [
        ".ipynb_checkpoints", "__pycache__", "*.pyc", "*.py", "*.db", "*.csv", "*.md", "feedback",
    ]
    config.Exchange.root = str(course_dir / "exchange")  # not the system-wide default
    config.Execute.timeout = 300
    # nbgrader runs the `alembic` and `jupyter` commands of this environment.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    config.NbGraderAPI.log_level = "WARN"
    return NbGraderAPI(config=config)


@contextmanager
def _quiet_nbgrader():
    # nbgrader's gradebook triggers SQLAlchemy "not in session" warnings that are harmless noise.
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('log', '')}{result.get('error', '')}")


def release(root: Path, course_dir: Path | None = None) -> dict[str, Path]:
    """Generate the student release of every chapter's exercises; return chapter -> notebook.

    Each chapter's ``source/`` and ``release/`` folders in the course folder (default
    ``_build/nbgrader``) are regenerated from ``book/``, so the release always matches the book;
    nothing else there (gradebook, submissions, feedback) is touched. Raises ``RuntimeError`` if
    a solution line leaks into it.
    """
    course_dir = course_dir or _course_dir(root)
    api = _api(course_dir)
    released = {}
    for chapter in exercise_chapters(root):
        for folder in ("source", "release"):
            shutil.rmtree(course_dir / folder / chapter, ignore_errors=True)
        source = course_dir / "source" / chapter / EXERCISES
        source.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / "book" / chapter / EXERCISES, source)
        with _quiet_nbgrader():
            _check(api.generate_assignment(chapter), f"generate_assignment {chapter}")
        out = course_dir / "release" / chapter / EXERCISES
        _drop_book_markers(out)
        leaks = find_leaks(source, out)
        if leaks:
            raise RuntimeError("the release leaks:\n" + "\n".join(map(str, leaks)))
        released[chapter] = out
    return released


def _drop_book_markers(nb_path: Path) -> None:
    """Remove the book's ``solution-start``/``solution-end`` cells: students see no empty dropdown."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    marker = re.compile(r"^\s*```\{solution-(start|end)\}[^`]*```\s*$", re.S)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and marker.match(c.source))]
    nbformat.write(nb, nb_path)


def _batch_dir(root: Path) -> Path:
    """A new folder ``_build/grading/<UTC time>`` for one batch: batches never overwrite each other."""
    import time

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    base = root / "_build" / "grading"
    path, n = base / stamp, 1
    while path.exists():
        n += 1
        path = base / f"{stamp}-{n}"
    return path


def autograde(root: Path, submissions_dir: Path, grades_csv: Path | None = None, *,
              batch_dir: Path | None = None, jobs: int = 2, cell_timeout: float | None = None,
              total_timeout: float | None = None) -> list[dict[str, str]]:
    """Autograde ``submissions_dir/<student>/<chapter>/exercises.ipynb`` into a CSV.

    Every submission is graded by `nnbasics_course.grading` in its own process; a bad one (invalid
    JSON, a dead kernel, a timeout, a wrong folder) gets 0 on what could not be graded and a
    ``failed`` row with the reason, and the others are graded. The batch goes to its own folder
    ``batch_dir`` (default ``_build/grading/<UTC time>/``: ``grades.csv``, ``results/`` and
    ``feedback/``); the CSV is also copied to ``grades_csv``. Columns: student, chapter, score,
    max_score, status (``graded`` or ``failed``), reason.
    """
    from . import grading

    batch_dir = Path(batch_dir) if batch_dir else _batch_dir(root)
    rows = grading.grade_batch(
        root, submissions_dir, batch_dir, jobs=jobs,
        cell_timeout=cell_timeout or grading.CELL_TIMEOUT,
        total_timeout=total_timeout or grading.TOTAL_TIMEOUT)
    if grades_csv is not None:
        grades_csv = Path(grades_csv)
        grades_csv.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(batch_dir / "grades.csv", grades_csv)
    return rows


def verify(root: Path) -> list[str]:
    """The instructor checks, for every chapter with exercises; returns the problems found.

    Works on a scratch copy (a temporary course folder and batch folder): nothing an instructor
    has in ``_build/`` is touched.
    """
    import tempfile

    from . import grading

    problems = []
    with tempfile.TemporaryDirectory(prefix="nnbasics-verify-") as tmp:
        released = release(root, Path(tmp) / "course")  # raises on a leak
        submissions = {}
        for chapter, notebook in released.items():
            submissions[(INSTRUCTOR, chapter)] = root / "book" / chapter / EXERCISES
            submissions[(UNTOUCHED, chapter)] = notebook
        rows = grading.grade_batch(root, None, Path(tmp) / "batch", submissions=submissions,
                                   feedback=False, hide=[Path(tmp) / "course"])
    scores = {(r["student"], r["chapter"]): r for r in rows}
    for chapter in released:
        row = scores[INSTRUCTOR, chapter]
        got, total = float(row["score"]), float(row["max_score"])
        print(f"{chapter}: instructor's notebook {got:g}/{total:g}", end="; ")
        if total <= 0 or got != total or row["status"] != "graded":
            problems.append(f"{chapter}: the instructor's notebook scored {got:g}/{total:g} {row['reason']}")
        row = scores[UNTOUCHED, chapter]
        got, total = float(row["score"]), float(row["max_score"])
        print(f"untouched release {got:g}/{total:g}; release leaks no solution line")
        if got != 0 or row["status"] != "graded":
            problems.append(f"{chapter}: the untouched release scored {got:g}/{total:g}, not 0 "
                            f"{row['reason']}")
    return problems


# --- Command line ------------------------------------------------------------------------------


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
        print(f"Student release: {(_course_dir(root) / 'release').relative_to(root)}/ "
              "(hand out each chapter's folder)")
    elif args.command == "autograde":
        batch = (args.batch_dir or _batch_dir(root)).resolve()
        rows = autograde(root, args.submissions.resolve(), args.grades, batch_dir=batch, jobs=args.jobs,
                         cell_timeout=args.cell_timeout, total_timeout=args.total_timeout)
        failed = [r for r in rows if r["status"] != "graded"]
        for r in failed:
            print(f"FAILED {r['student'] or '?'} {r['chapter'] or '?'}: {r['reason']}", file=sys.stderr)
        print(f"{len(rows) - len(failed)} submissions graded, {len(failed)} failed; grades in {args.grades} "
              f"and {batch}/ (feedback in {batch}/feedback/)")
        return 1 if failed else 0
    elif args.command == "feedback":
        from . import grading

        batch = args.batch
        if batch is None:
            batches = sorted((root / "_build" / "grading").glob("*/results"))
            if not batches:
                print("feedback: no batch in _build/grading/: run make autograde first", file=sys.stderr)
                return 1
            batch = batches[-1].parent
        pages = grading.feedback_from_results(root, batch, show_hidden=args.show_hidden)
        print(f"{len(pages)} feedback pages in {batch / 'feedback'}/")
    elif args.command == "verify":
        problems = verify(root)
        for problem in problems:
            print(f"verify: {problem}", file=sys.stderr)
        return 1 if problems else 0
    return 0

