"""Write scripts/fontawesome.js: the theme's Font Awesome script with only the icons the book uses.

pydata-sphinx-theme loads its Font Awesome bundle (every free icon, 1.49 MB) on every page; the
book shows about fifteen of them. This keeps the bundle's code as it is (the same <i> to <svg>
replacement, styles and aliases) and drops every other icon's path from the three icon packs.
Sphinx copies book/_static after the theme's static files, so this file replaces the theme's.
Re-run after a theme upgrade or a new icon: `.venv/bin/python book/_static/make_fontawesome.py`;
tests/tools/test_figures.py checks the committed file is current, tests/book/test_page_weight.py
that every icon on the book's pages is drawn.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pydata_sphinx_theme

OUT = Path(__file__).resolve().parent / "scripts" / "fontawesome.js"
SOURCE = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "scripts" / \
    "fontawesome.js"
# The icons the book's pages (theme templates, sphinx-book-theme, pydata-sphinx-theme's script) use.
USED = {
    "fab": {"github"},
    "far": set(),
    "fas": {"angle-left", "angle-right", "arrow-up", "bars", "chevron-down", "circle-half-stroke", "compress",
            "expand", "list", "magnifying-glass", "moon", "outdent", "rocket", "sun", "xmark"},
}
ENTRY = re.compile(r'(?:"([^"]+)"|([A-Za-z0-9_$]+)):(\[\d+,\d+,\[[^\]]*\],"[0-9a-f]+",(?:"[^"]*"|\[[^\]]*\])\])')
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


def main() -> int:
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(subset(SOURCE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"{OUT}: {OUT.stat().st_size:,} bytes (the theme's: {SOURCE.stat().st_size:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
