"""Glossary terms in JupyterLab: each notebook carries the entries of the terms it links.

The book links a term with ``{term}`` and Sphinx resolves it against ``book/glossary.md``. In
JupyterLab, jupyterlab-myst (2.7) resolves cross-references within the open notebook only: it reads
no project file and no other page, so every ``{term}`` of a chapter was a link to nowhere and logged
"Cross reference target was not found: term-...". The only targets it knows are the notebook's own.

So each notebook that links terms ends with one generated markdown cell: a ``{glossary}`` of the
entries it links, copied from ``book/glossary.md`` (the one source; the other Chinese names of an
entry's "also" part stay on that page), in MyST's definition-list syntax, with a link to that page.
The cell is tagged ``remove-cell`` (myst-nb drops it before parsing, so the book is unchanged and
Sphinx sees each term defined once) and `GLOSSARY_TAG`, by which it is found and refreshed.

``python -m nnbasics_course.glossary [NOTEBOOK ...]`` (``make glossary``) writes the cells;
``--check`` lists the notebooks whose cell is missing or stale (a test runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

__all__ = ["GLOSSARY_TAG", "glossary_cell_source", "glossary_entries", "notebook_terms", "refresh", "stale"]

GLOSSARY_TAG = "jupyterlab-glossary"
ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "book" / "glossary.md"
# {term}`text <target>` or {term}`target`; the target is matched as Sphinx and MyST do, ignoring case
TERM = re.compile(r"\{term\}`(?:[^`<]*<(?P<target>[^`>]+)>|(?P<plain>[^`<]+))`")
HEADER = ("% Generated from book/glossary.md by `make glossary`: do not edit. JupyterLab resolves each\n"
          "% {{term}} link of this notebook here; the book removes this cell (remove-cell).\n"
          "**Glossary of this notebook** (from [the course glossary]({link})):\n")


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


def _wanted(path: Path, nb, entries: dict[str, str]) -> str | None:
    terms = notebook_terms(nb)
    if not terms:
        return None
    return glossary_cell_source(terms, entries, "../glossary.md")  # from book/<chapter>/


def stale(path: Path, entries: dict[str, str] | None = None) -> bool:
    """Whether ``path`` lacks its glossary cell, has a stale one, or has one where none belongs."""
    entries = entries if entries is not None else glossary_entries(GLOSSARY.read_text())
    nb = nbformat.read(path, as_version=4)
    wanted = _wanted(path, nb, entries)
    cells = _cells(nb)
    if wanted is None:
        return bool(cells)
    return not (len(cells) == 1 and nb.cells[-1] is cells[0] and cells[0].source == wanted)


def refresh(path: Path, entries: dict[str, str] | None = None) -> bool:
    """Write ``path``'s glossary cell (the notebook's last cell); True when the file changed."""
    entries = entries if entries is not None else glossary_entries(GLOSSARY.read_text())
    if not stale(path, entries):
        return False
    nb = nbformat.read(path, as_version=4)
    wanted = _wanted(path, nb, entries)
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
    paths = args.notebooks or book_notebooks()
    if args.check:
        bad = [p for p in paths if stale(p, entries)]
        for p in bad:
            print(f"{p}: glossary cell missing or stale: run make glossary", file=sys.stderr)
        return 1 if bad else 0
    for p in paths:
        if refresh(p, entries):
            print(f"wrote the glossary cell of {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
