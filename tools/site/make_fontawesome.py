"""Write scripts/fontawesome.js: the theme's Font Awesome script with only the icons the book uses,
and fonts/fa-*-subset.woff with fontawesome-subset.css: the theme's icon fonts with only the glyphs
CSS draws with them.

pydata-sphinx-theme loads its Font Awesome bundle (every free icon, 1.49 MB) on every page; the
book shows about fifteen of them. This keeps the bundle's code as it is (the same <i> to <svg>
replacement, styles and aliases) and drops every other icon's path from the three icon packs.
Sphinx copies book/_static after the theme's static files, so this file replaces the theme's.
Re-run after a theme upgrade or a new icon: `.venv/bin/python tools/site/make_fontawesome.py`;
tests/tools/test_figures.py checks the committed file is current, tests/book/test_page_weight.py
that every icon on the book's pages is drawn.

The theme's stylesheet also declares the three Font Awesome web fonts (fa-solid-900.woff2 157 KB,
fa-brands-400.woff2 118 KB, fa-regular-400.woff2), which the browser fetches as soon as any text is
set in them: every <i> icon becomes an <svg> through the script above, so the only glyphs left to
the fonts are CSS pseudo-elements (the exercise pencil of sphinx-exercise, the theme's
`--pst-icon-*` admonition and link icons, sphinx-book-theme's dropdown angle). The subsets keep
those glyphs; fontawesome-subset.css, loaded after the theme's stylesheet, declares the same font
faces again pointing at them, and the last declaration of a face wins. tests/book/test_responsive.py
checks, in the browser on every page, that each glyph drawn with a Font Awesome font is in its subset.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pydata_sphinx_theme

STATIC = Path(__file__).resolve().parents[2] / "book" / "_static"  # what this script writes
OUT = STATIC / "scripts" / "fontawesome.js"
THEME_STATIC = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
SOURCE = THEME_STATIC / "scripts" / "fontawesome.js"
# Glyphs drawn by CSS with a Font Awesome font, besides the theme's --pst-icon-* variables:
# sphinx-exercise's pencil (exercise.css) and sphinx-book-theme's dropdown angle.
CSS_GLYPHS = {0xF303, 0xF107}
# (font file stem, CSS font-family, font-weight) of the theme's three web fonts.
WEBFONTS = [("fa-solid-900", "Font Awesome 6 Free", 900), ("fa-regular-400", "Font Awesome 6 Free", 400),
            ("fa-brands-400", "Font Awesome 6 Brands", 400)]
FONT_DIR = STATIC / "fonts"
FONT_CSS = STATIC / "fontawesome-subset.css"
# The icons the book's pages (theme templates, sphinx-book-theme, pydata-sphinx-theme's script) use.
USED = {
    "fab": {"github"},
    "far": set(),
    "fas": {"angle-left", "angle-right", "arrow-up", "bars", "chevron-down", "circle-half-stroke", "compress",
            "expand", "list", "magnifying-glass", "moon", "outdent", "rocket", "sun", "xmark"},
}
ENTRY = re.compile(r'(?:"([^"]+)"|([A-Za-z0-9_$]+)):'
                   r'(\[\d+,\d+,\[[^\]]*\],"[0-9a-f]+",(?:"[^"]*"|\[[^\]]*\])\])')
PACK = re.compile(r'function\(\)\{d\("(fab|far|fas)",p\)')


def subset(text: str) -> str:
    out, at = [], 0
    for start in [m.end() for m in re.finditer(r'"fas"===c&&d\("fa",l\)\}var p=', text)]:
        depth, end = 0, start
        while True:  # the icon object: no brace inside its strings (names, SVG paths)
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
            if depth == 0:
                break
        pack = PACK.search(text, end).group(1)
        keep = []
        for m in ENTRY.finditer(text, start, end):
            name = m.group(1) or m.group(2)
            aliases = set(re.findall(r'"([^"]+)"', m.group(3).split("],")[0]))
            if name in USED[pack] or aliases & USED[pack]:
                keep.append(m.group(0))
        missing = USED[pack] - {(m.split(":")[0].strip('"')) for m in keep}
        if missing:
            raise SystemExit(f"{pack}: icons not in the theme's Font Awesome: {sorted(missing)}")
        out += [text[at:start], "{" + ",".join(keep) + "}"]
        at = end
    if len(out) != 6:
        raise SystemExit(f"expected 3 icon packs in {SOURCE}, found {len(out) // 2}")
    return "".join(out) + text[at:]


def icon_glyphs(script: str) -> set[int]:
    """The code points of the icons left in ``script`` (the subset script): an <i> icon is drawn
    with the font for the moment before the script replaces it with an <svg>, so the font must
    hold its glyph too (or the browser falls back to the theme's full font and downloads it)."""
    return {int(re.match(r'\[\d+,\d+,\[[^\]]*\],"([0-9a-f]+)"', m.group(3)).group(1), 16)
            for m in ENTRY.finditer(script)}


def css_glyphs(script: str) -> set[int]:
    """Every code point the theme's --pst-icon-* variables hold (the stylesheet writes them as
    the characters themselves), CSS_GLYPHS and the icons of ``script``."""
    css = (THEME_STATIC / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    found = {ord(ch) for value in re.findall(r'--pst-icon-[a-z-]+:"([^"]*)"', css) for ch in value}
    return {c for c in found if c >= 0xE000} | CSS_GLYPHS | icon_glyphs(script)


def webfont(stem: str, glyphs: set[int]) -> bytes:
    """The theme's font ``stem`` cut down to ``glyphs`` (those it has), as WOFF, reproducibly."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    # recalcTimestamp=False: no build time inside the file, so the same theme makes the same bytes
    font = TTFont(THEME_STATIC / "vendor" / "fontawesome" / "webfonts" / f"{stem}.ttf", recalcTimestamp=False)
    keep = sorted(glyphs & set(font.getBestCmap()))
    options = ft_subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.name_IDs = ["*"]  # keep the licence and copyright names
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff"
    font.save(buffer, reorderTables=True)
    return buffer.getvalue()


def font_css() -> str:
    faces = [f'@font-face{{font-display:block;font-family:"{family}";font-style:normal;font-weight:{weight};'
             f'src:url(fonts/{stem}-subset.woff) format("woff")}}' for stem, family, weight in WEBFONTS]
    return ("/* Made by make_fontawesome.py: the theme's Font Awesome faces, pointing at the subsets. */\n"
            + "\n".join(faces) + "\n")


def made() -> dict[Path, bytes]:
    """Every file this script writes, with its content."""
    script = subset(SOURCE.read_text(encoding="utf-8"))
    glyphs = css_glyphs(script)
    out = {OUT: script.encode("utf-8"), FONT_CSS: font_css().encode("utf-8")}
    for stem, _family, _weight in WEBFONTS:
        out[FONT_DIR / f"{stem}-subset.woff"] = webfont(stem, glyphs)
    return out


def main() -> int:
    for path, content in made().items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        print(f"{path.relative_to(STATIC)}: {len(content):,} bytes")
    print(f"(the theme's script: {SOURCE.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
