"""The committed diagrams in book/figures are exactly what book/figures/make_figures.py draws now."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "book" / "figures"


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_figures", FIGURES / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_svg_in_the_folder_has_a_generator(generator):
    committed = {p.stem for p in FIGURES.glob("*.svg")}
    assert committed == set(generator.FIGURES), "run `make figures` (and delete stale SVGs)"


def test_committed_svgs_are_current_and_deterministic(generator):
    stale = []
    for name in generator.FIGURES:
        drawn = generator.render(name)
        assert drawn == generator.render(name), f"{name}: two runs differ"
        if (FIGURES / f"{name}.svg").read_text(encoding="utf-8") != drawn:
            stale.append(name)
    assert stale == [], f"out of date, run `make figures`: {stale}"


def test_svgs_keep_text_as_text_at_a_readable_size(generator):
    for name in generator.FIGURES:
        svg = (FIGURES / f"{name}.svg").read_text(encoding="utf-8")
        assert "<text" in svg, f"{name}: text was turned into paths"
        view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
        scale = 672 / view_width  # shown 672 px wide at a 1280 px viewport (measured in Chromium)
        sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
        assert sizes, name
        assert min(sizes) * scale >= 11, f"{name}: text of {min(sizes) * scale:.1f} px at the column width"
        assert "Date" not in svg and "<dc:date>" not in svg


def test_font_awesome_subset_is_current():
    """book/_static/scripts/fontawesome.js is what make_fontawesome.py makes from the installed theme."""
    static = ROOT / "book" / "_static"
    script = ROOT / "tools" / "site" / "make_fontawesome.py"
    spec = importlib.util.spec_from_file_location("make_fontawesome", script)
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    files = maker.made()
    for path, content in files.items():
        assert path.read_bytes() == content, \
            f"{path.name} is stale: run .venv/bin/python tools/site/make_fontawesome.py"
    made = files[static / "scripts" / "fontawesome.js"].decode("utf-8")
    assert len(made) < 100_000 < maker.SOURCE.stat().st_size
    for icon in ("magnifying-glass", "github", "bars"):
        assert f"{icon}" in made
    # The web font subsets: the admonition, exercise and link glyphs, a few KB instead of 157 KB.
    glyphs = maker.css_glyphs(made)
    assert {0xF303, 0xF05A, 0xF071, 0xF35D} <= glyphs and len(glyphs) < 40, sorted(map(hex, glyphs))
    for stem, _family, _weight in maker.WEBFONTS:
        assert len(files[static / "fonts" / f"{stem}-subset.woff"]) < 10_000, stem
    css = files[static / "fontawesome-subset.css"].decode("utf-8")
    assert css.count("@font-face") == 3 and "fa-solid-900-subset.woff" in css
