"""The built site (``python -m nnbasics_course check-site HTML_DIR``): every ``_toc.yml`` entry
became a page, no source or solution is published, every image has alt text and every chapter
links into the glossary."""

from __future__ import annotations

import re
from pathlib import Path

from .leaks import secret_lines
from .toc import EXERCISES, exercise_chapters, exercises_notebook, toc_files, toc_notebooks

__all__ = ["check_site", "glossary_links", "images_without_alt"]


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
        for kind, lines in secret_lines(exercises_notebook(root, chapter)).items():
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

