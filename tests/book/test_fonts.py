"""The bundled Chinese font covers the book: every CJK character in the sources is in the subset.

tools/site/make_subset.py makes the subset (NotoSansSC-nnbasics.woff); after adding
Chinese text, re-run it. No browser needed; test_responsive.py checks the rendering in Chromium.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "book" / "_static" / "fonts"
MAKER = ROOT / "tools" / "site" / "make_subset.py"


def load_maker():
    spec = importlib.util.spec_from_file_location("make_subset", MAKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_cjk_character_of_the_book_is_in_the_bundled_subset():
    maker = load_maker()
    used = maker.book_characters()
    assert len(used) > 50, "the glossary's Chinese was not found: the scan is broken"
    cmap = TTFont(str(maker.OUT)).getBestCmap()
    missing = sorted(c for c in used if ord(c) not in cmap)
    assert not missing, (f"not in {maker.OUT.name}: {''.join(missing)} "
                         f"(re-run .venv/bin/python {MAKER.relative_to(ROOT)})")


def test_the_scan_finds_chinese_it_is_given(tmp_path):
    maker = load_maker()
    (tmp_path / "book").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "book" / "page.md").write_text("Adam {zh}`优化器（自适应）`, plain ASCII", encoding="utf-8")
    (tmp_path / "_toc.yml").write_text("root: 术\n", encoding="utf-8")
    (tmp_path / "_config.yml").write_text("title: x\n", encoding="utf-8")
    assert maker.book_characters(tmp_path) == set("优化器（自适应）术")


def test_the_subset_is_small_and_licensed():
    assert (FONTS / "NotoSansSC-nnbasics.woff").stat().st_size < 300_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL.txt").read_text(encoding="utf-8")
