"""Glossary terms and references in JupyterLab: each notebook carries the targets of its links.

The book links a term with ``{term}`` and Sphinx resolves it against ``book/glossary.md``. In
JupyterLab, jupyterlab-myst (2.7) resolves cross-references within the open notebook only: it reads
no project file and no other page, so every ``{term}`` of a chapter was a link to nowhere and logged
"Cross reference target was not found: term-...". The only targets it knows are the notebook's own.

So each notebook that links terms ends with one generated markdown cell: a ``{glossary}`` of the
entries it links, copied from ``book/glossary.md`` (the one source; the other Chinese names of an
entry's "also" part stay on that page), in MyST's definition-list syntax, with a link to that page.
The same holds for a ``{ref}`` or ``{numref}`` to a label of another notebook (a chapter's list of
its exercises, each on the exercises page): "Cross reference target was not found: opt-ex-adam".
So the cell also defines each such label, above a line that names its target as the book does
("Exercise 6.1", numbered per chapter as book/_ext/nnbasics_layout.py does, then the exercise's
title) with a relative link to the notebook that holds it: the ``{ref}`` shows the book's text,
its hover card the title, and the link opens that notebook.

The cell is tagged ``remove-cell`` (myst-nb drops it before parsing, so the book is unchanged and
Sphinx sees each term and label defined once) and `GLOSSARY_TAG`, by which it is found and refreshed.

``python -m nnbasics_course.glossary [NOTEBOOK ...]`` (``make glossary``) writes the cells;
``--check`` lists the notebooks whose cell is missing or stale (a test runs it).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["GLOSSARY_TAG", "Target", "book_targets", "glossary_cell_source", "glossary_entries",
           "notebook_labels", "notebook_references", "notebook_terms", "references_source", "refresh",
           "stale"]

GLOSSARY_TAG = "jupyterlab-glossary"
ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "book" / "glossary.md"
# {term}`text <target>` or {term}`target`; the target is matched as Sphinx and MyST do, ignoring case
TERM = re.compile(r"\{term\}`(?:[^`<]*<(?P<target>[^`>]+)>|(?P<plain>[^`<]+))`")
HEADER = ("% Generated from book/glossary.md by `make glossary`: do not edit. JupyterLab resolves each\n"
          "% {{term}} link of this notebook here; the book removes this cell (remove-cell).\n"
          "**Glossary of this notebook** (from [the course glossary]({link})):\n")
REFERENCES_HEADER = ("% Generated from the notebooks of _toc.yml by `make glossary`: do not edit.\n"
                     "% JupyterLab resolves here each {ref} to a label of another notebook.\n"
                     "**Elsewhere in the course** (what this notebook refers to in other notebooks):\n")
# {ref}`label`, {ref}`text <label>`, the same with {numref}, and [text](#label)
REFERENCE = re.compile(r"\{(?:ref|numref)\}`(?:[^`<]*<(?P<target>[^`>]+)>|(?P<plain>[^`<]+))`"
                       r"|\]\(#(?P<anchor>[^)\s]+)\)")
# (label)= on its own line, or a directive's :label: / :name: option
LABEL = re.compile(r"^\((?P<target>[^()\s]+)\)=[ \t]*$|^:(?:label|name):[ \t]+(?P<option>\S+)[ \t]*$", re.M)
EXERCISE = re.compile(r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}[ \t]*(?P<title>.*)$", re.M)
HEADING = re.compile(r"^#{1,6}[ \t]+(?P<text>.+?)[ \t]*#*[ \t]*$", re.M)


def _key(term: str) -> str:
    return " ".join(term.split()).lower()


def glossary_entries(text: str) -> dict[str, str]:
    """The ``{glossary}`` block of ``text`` as {term key: the entry's lines}, each entry as written:
    its term line(s) at column 0, then its indented definition."""
    block = re.search(r"^```\{glossary\}\n(.*?)^```$", text, re.S | re.M)
    if block is None:
        raise ValueError("no ```{glossary} block")
    entries: dict[str, str] = {}
    for chunk in re.split(r"\n\s*\n", block.group(1).strip("\n")):
        lines = chunk.splitlines()
        terms = [line for line in lines if line and not line[0].isspace()]
        if not terms or lines[0] != terms[0]:
            raise ValueError(f"a glossary entry must start with its term: {chunk[:60]!r}")
        for term in terms:
            entries[_key(term)] = chunk
    return entries


def without_alternates(entry: str) -> str:
    """``entry`` without the "also ..." part of its parenthesis: the other Chinese names appear only
    on the glossary page (tests/tools/test_chinese_terms.py), which the cell links."""
    def drop(m: re.Match) -> str:
        parts = [p for p in m.group(1).split("; ") if not p.startswith("also ")]
        return f" ({'; '.join(parts)})" if parts else ""

    return re.sub(r" \(((?:[^()]|\([^()]*\))*)\)(?=\.)", drop, entry, count=1)


def notebook_terms(nb) -> list[str]:
    """The keys of the terms the notebook's markdown links with {term}, in order of first use
    (the generated cell itself excluded)."""
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or GLOSSARY_TAG in cell.metadata.get("tags", []):
            continue
        for m in TERM.finditer(cell.source):
            key = _key(m.group("target") or m.group("plain"))
            if key not in found:
                found.append(key)
    return found


def _markdown(nb):
    """The notebook's markdown cells, the generated cell left out."""
    return [c for c in nb.cells
            if c.cell_type == "markdown" and GLOSSARY_TAG not in c.metadata.get("tags", [])]


def notebook_references(nb) -> list[str]:
    """The labels the notebook's markdown refers to ({ref}, {numref}, [](#label)), in order of first
    use (the generated cell itself excluded)."""
    found: list[str] = []
    for cell in _markdown(nb):
        for m in REFERENCE.finditer(cell.source):
            label = (m.group("target") or m.group("plain") or m.group("anchor")).strip()
            if label not in found:
                found.append(label)
    return found


def notebook_labels(nb) -> list[str]:
    """The labels the notebook's markdown defines (the generated cell itself excluded)."""
    return [m.group("target") or m.group("option") for c in _markdown(nb) for m in LABEL.finditer(c.source)]


@dataclass(frozen=True)
class Target:
    """A label as the book shows it: ``name`` is the text of a ``{ref}`` to it ("Exercise 6.1"),
    ``title`` what it is called (the exercise's title; empty for a heading), ``path`` its notebook
    and ``page`` that notebook's title."""

    name: str
    title: str
    path: Path
    page: str


def _chapters(root: Path) -> list[list[Path]]:
    """The notebooks of each chapter of ``root/_toc.yml`` (the chapter's own, then its sections'), in
    the book's order: the book numbers chapters 1, 2, ... in this order, the root page apart."""
    import yaml

    from nnbasics_course.toc import toc_notebooks

    notebooks = set(toc_notebooks(root))
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    chapters: list[list[Path]] = []

    def files(node: dict) -> list[Path]:
        paths = [root / f"{node['file']}.ipynb"]
        for child in node.get("sections", []):
            paths += files(child)
        return paths

    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        for chapter in part.get("chapters", []):
            chapters.append([p for p in files(chapter) if p in notebooks])
    return chapters


def _title(nb) -> str:
    for cell in _markdown(nb):
        m = HEADING.search(cell.source)
        if m:
            return m.group("text")
    return ""


def _exercises(source: str) -> list[tuple[str | None, str]]:
    """(label or None, title) of each exercise directive of a cell, in order; the label is the
    directive's :label: option (its options are the lines that follow it and start with ":")."""
    found = []
    for m in EXERCISE.finditer(source):
        options = re.match(r"(?:\n:[^\n]*)*", source[m.end():]).group(0)
        label = re.search(r"^:label:[ \t]+(\S+)", options, re.M)
        found.append((label.group(1) if label else None, m.group("title").strip()))
    return found


def book_targets(root: Path = ROOT) -> dict[str, Target]:
    """Every label of the book's notebooks, named as the book names it: an exercise "Exercise c.n"
    (the n-th exercise of the c-th chapter of _toc.yml, its sections' included, as
    book/_ext/nnbasics_layout.py numbers them) with its title; a label above a heading, that
    heading; any other label, its notebook's title."""
    targets: dict[str, Target] = {}
    for number, paths in enumerate(_chapters(root), start=1):
        count = 0
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            page = _title(nb)
            for cell in _markdown(nb):
                for m in LABEL.finditer(cell.source):
                    heading = HEADING.match(cell.source[m.end():].lstrip("\n")) if m.group("target") else None
                    targets[m.group("target") or m.group("option")] = Target(
                        heading.group("text") if heading else page, "", path, page)
                for label, title in _exercises(cell.source):
                    count += 1
                    if label:
                        targets[label] = Target(f"Exercise {number}.{count}", title, path, page)
    return targets


def references_source(labels: Sequence[str], targets: dict[str, Target], here: Path) -> str:
    """The cell's part for ``labels`` (of other notebooks), in the book's order: each label above a
    definition list whose term is the text the book shows for a reference to it (jupyterlab-myst
    shows a definition term for a {ref}), then the target's title and a link from ``here`` (a
    notebook) to its notebook."""
    missing = [label for label in labels if label not in targets]
    if missing:
        raise KeyError(f"{{ref}} to a label no notebook of _toc.yml defines: {missing}")
    order = list(targets)
    entries = []
    for label in sorted(labels, key=order.index):  # the book's order: Exercise 6.4 before 6.5
        target = targets[label]
        link = Path(os.path.relpath(target.path, here.parent)).as_posix()
        title = f"*{target.title}*, in " if target.title else "In "
        entries.append(f"({label})=\n{target.name}\n: {title}[{target.page or link}]({link})")
    return REFERENCES_HEADER + "\n" + "\n\n".join(entries)


def as_definition_list(entry: str) -> str:
    """A Sphinx glossary entry (term lines, then the definition indented) in MyST's definition-list
    syntax (each term, then ": definition"), the only body MyST's {glossary} accepts."""
    lines = entry.splitlines()
    n = next(i for i, line in enumerate(lines) if line[:1].isspace())
    body = [line.strip() for line in lines[n:]]
    return "\n".join(lines[:n] + [": " + body[0]] + ["  " + line for line in body[1:]])


def glossary_cell_source(terms: Sequence[str], entries: dict[str, str], link: str) -> str:
    """The cell: a {glossary} of the entries of ``terms``, alphabetical as on the page, each once."""
    missing = [t for t in terms if t not in entries]
    if missing:
        raise KeyError(f"{{term}} without a glossary entry in book/glossary.md: {missing}")
    chunks = sorted({as_definition_list(without_alternates(entries[t])) for t in terms},
                    key=lambda c: _key(c.splitlines()[0]))
    return HEADER.format(link=link) + "\n```{glossary}\n" + "\n\n".join(chunks) + "\n```"


def _cells(nb) -> list:
    return [c for c in nb.cells if GLOSSARY_TAG in c.metadata.get("tags", [])]


def _wanted(path: Path, nb, entries: dict[str, str], targets: dict[str, Target] | None = None) -> str | None:
    terms = notebook_terms(nb)
    defined = set(notebook_labels(nb))
    labels = [label for label in notebook_references(nb) if label not in defined]
    parts = []
    if terms:
        parts.append(glossary_cell_source(terms, entries, "../glossary.md"))  # from book/<chapter>/
    if labels:
        parts.append(references_source(labels, targets if targets is not None else book_targets(), path))
    return "\n\n".join(parts) or None


def stale(path: Path, entries: dict[str, str] | None = None,
          targets: dict[str, Target] | None = None) -> bool:
    """Whether ``path`` lacks its glossary cell, has a stale one, or has one where none belongs."""
    entries = entries if entries is not None else glossary_entries(GLOSSARY.read_text())
    nb = nbformat.read(path, as_version=4)
    wanted = _wanted(path, nb, entries, targets)
    cells = _cells(nb)
    if wanted is None:
        return bool(cells)
    return not (len(cells) == 1 and nb.cells[-1] is cells[0] and cells[0].source == wanted)


def refresh(path: Path, entries: dict[str, str] | None = None,
            targets: dict[str, Target] | None = None) -> bool:
    """Write ``path``'s glossary cell (the notebook's last cell); True when the file changed."""
    entries = entries if entries is not None else glossary_entries(GLOSSARY.read_text())
    if not stale(path, entries, targets):
        return False
    nb = nbformat.read(path, as_version=4)
    wanted = _wanted(path, nb, entries, targets)
    nb.cells = [c for c in nb.cells if GLOSSARY_TAG not in c.metadata.get("tags", [])]
    if wanted is not None:
        cell = nbformat.v4.new_markdown_cell(wanted, id=GLOSSARY_TAG)
        cell.metadata["tags"] = ["remove-cell", GLOSSARY_TAG]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return True


def book_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook under book/ (chapters and exercises)."""
    return sorted((root / "book").glob("*/*.ipynb"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbasics_course.glossary",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook under book/")
    parser.add_argument("--check", action="store_true", help="only list the notebooks that need the command")
    args = parser.parse_args(argv)
    entries = glossary_entries(GLOSSARY.read_text())
    targets = book_targets()
    paths = args.notebooks or book_notebooks()
    if args.check:
        bad = [p for p in paths if stale(p, entries, targets)]
        for p in bad:
            print(f"{p}: glossary cell missing or stale: run make glossary", file=sys.stderr)
        return 1 if bad else 0
    for p in paths:
        if refresh(p, entries, targets):
            print(f"wrote the glossary cell of {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
