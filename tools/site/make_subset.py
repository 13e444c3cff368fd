"""Make NotoSansSC-nnbasics.woff: Noto Sans CJK SC cut down to the CJK characters the book uses.

The book's pages load it (book/_static/nnbasics.css) so Chinese text renders on a machine with
no CJK font, offline. Source font: Debian's fonts-noto-cjk (`apt-get install fonts-noto-cjk`),
SIL Open Font License 1.1 (book/_static/fonts/OFL.txt). Re-run after adding Chinese text:

    .venv/bin/python tools/site/make_subset.py

tests/book/test_fonts.py fails when the book uses a CJK character the subset lacks.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "book" / "_static" / "fonts"  # where the subset and its licence live
OUT = FONTS / "NotoSansSC-nnbasics.woff"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FAMILY = "Noto Sans CJK SC"
CJK = re.compile("[\u2e80-\u2fdf\u3000-\u303f\u3100-\u312f\u31a0-\u31bf\u3400-\u4dbf"
                 "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
SUFFIXES = {".md", ".ipynb", ".yml", ".bib", ".py", ".txt"}


def book_characters(root: Path = ROOT) -> set[str]:
    """Every CJK character in the book's sources (chapters, glossary, table of contents, library)."""
    chars: set[str] = set()
    for folder in (root / "book", root / "src"):
        for path in folder.rglob("*"):
            if path.suffix in SUFFIXES and "_build" not in path.parts and path.is_file():
                chars |= set(CJK.findall(path.read_text(encoding="utf-8", errors="ignore")))
    for name in ("_toc.yml", "_config.yml"):
        chars |= set(CJK.findall((root / name).read_text(encoding="utf-8")))
    return chars


def main() -> int:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    if not SOURCE.exists():
        print(f"{SOURCE} is missing: apt-get install fonts-noto-cjk", file=sys.stderr)
        return 1
    fonts = TTCollection(str(SOURCE)).fonts
    font = next(f for f in fonts if f["name"].getDebugName(1) == FAMILY)
    text = "".join(sorted(book_characters()))
    options = subset.Options()
    options.flavor = "woff"  # zlib: needs no brotli; Chromium, Firefox and Safari all read it
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    font.flavor = "woff"
    font.recalcTimestamp = False  # keep the source's date: the same text gives the same bytes
    font.save(str(OUT))
    print(f"{OUT.name}: {len(text)} characters, {OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
