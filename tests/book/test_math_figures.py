"""Math and figures in the built book (issue 18, part B), in one headless Chromium.

Every page is opened once at 1280 px; what the checks need is gathered from MathJax's own
document (each equation's TeX and its MathML) and from the layout, then asserted test by test.

Figure text size, the method: a figure is a PNG drawn by matplotlib. Its pHYs chunk gives the
dpi it was drawn at, and the book's figures use the book's matplotlib style, whose smallest text
(tick labels, legends) is ``MIN_FONT_PT`` points. That text is ``MIN_FONT_PT * dpi / 72`` px high
in the image, and the page shows the image at ``clientWidth / naturalWidth`` of its own size; the
product is the smallest text height as read. SVG figures are measured by their text elements.
"""

from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

import pytest
from test_browser import HTML, PAGES, browser, open_page, server, wait_for_math  # noqa: F401

from nnbasics.utils import BOOK_STYLE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "book" / "_ext"))
from nnbasics_sphinx import dollars_to_math

MIN_PX = 11
# The smallest text size in the book's matplotlib style (nnbasics.utils.BOOK_STYLE, which
# every notebook sets through reproducible()), in points.
MIN_FONT_PT = min(v for k, v in BOOK_STYLE.items() if k.endswith("size") and k != "figure.figsize")

GATHER = """() => {
  const out = {equations: [], mathml: [], raw: [], figures: []};
  const doc = window.MathJax && MathJax.startup && MathJax.startup.document;
  if (doc) {
    for (const item of doc.math) {
      out.mathml.push([item.math, MathJax.startup.toMML(item.root)]);
      const node = item.typesetRoot;
      if (item.display && node) {
        const box = node.closest('div.math') || node.parentElement;
        const inner = node.querySelector('mjx-math') || node;
        out.equations.push([item.math.slice(0, 80), Math.ceil(inner.getBoundingClientRect().width),
                            box.clientWidth]);
      }
    }
  }
  const main = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode;
    if (t.parentElement.closest('pre, code, mjx-container, script, style, .highlight')) continue;
    if (/\\$[^$\\s][^$]*\\$|\\\\(text|frac|mathrm|varepsilon|sum)\\b|[a-z],text\\{/.test(t.data))
      out.raw.push(t.data.trim().slice(0, 120));
  }
  for (const img of main.querySelectorAll('img')) {
    if (!img.naturalWidth || !img.clientWidth) continue;
    out.figures.push([img.getAttribute('src'), img.naturalWidth, img.clientWidth]);
  }
  return out;
}"""


def png_dpi(path: Path) -> float | None:
    data = path.read_bytes()
    at = data.find(b"pHYs")
    if not data.startswith(b"\x89PNG") or at < 0:
        return None
    per_metre, _, unit = struct.unpack(">IIB", data[at + 4:at + 13])
    return per_metre * 0.0254 if unit == 1 else None


@pytest.fixture(scope="module")
def pages(browser, server):  # noqa: F811
    found = {}
    for path in dict.fromkeys([*PAGES, "book/api.html"]):
        page, _ = open_page(browser, f"{server}/{path}")
        wait_for_math(page)
        found[path] = page.evaluate(GATHER)
        page.close()
    return found


def test_dollars_to_math_joins_inline_math_wrapped_over_two_lines():
    lines = ["the target becomes $(1 - \\varepsilon)\\,\\text{onehot} +", "    \\varepsilon / C$ (weighted)."]
    text = "\n".join(dollars_to_math(lines))
    assert ":math:`(1 - \\varepsilon)\\,\\text{onehot} + \\varepsilon / C`" in text
    assert "$" not in text
    # A blank line ends a paragraph: a stray $ never pairs across it.
    assert dollars_to_math(["costs $5", "", "and $x$"]) == ["costs $5", "", "and :math:`x`"]


def test_no_literal_tex_in_rendered_math(pages):
    bad = []
    for path, found in pages.items():
        for tex, mml in found["mathml"]:
            texts = re.findall(r"<mtext[^>]*>([^<]*)</mtext>", mml)
            if any("\\" in t for t in texts) or "<merror" in mml:
                bad.append(f"{path}: {tex[:80]!r}")
        bad += [f"{path}: raw {text!r}" for text in found["raw"]]
    assert bad == [], "\n".join(bad)


def test_every_page_with_math_has_typeset_math(pages):
    assert pages["book/api.html"]["mathml"], "the API page's docstring math is not typeset"


def test_display_equations_fit_the_column_at_1280(pages):
    wide = [f"{path}: {width} px in {column} px: {tex!r}"
            for path, found in pages.items() for tex, width, column in found["equations"]
            if width > column + 1]
    assert wide == [], f"{len(wide)} equations wider than the column:\n" + "\n".join(wide)


def test_wide_equation_scrolls_in_its_box_on_a_phone(browser, server):  # noqa: F811
    page, _ = open_page(browser, f"{server}/book/regularization/regularization.html")
    page.set_viewport_size({"width": 390, "height": 844})
    wait_for_math(page)
    result = page.evaluate("""() => {
      const boxes = Array.from(document.querySelectorAll('div.math mjx-container'));
      const wide = boxes.find(b => b.scrollWidth > b.clientWidth + 1);
      if (!wide) return null;
      const style = getComputedStyle(wide);
      return {overflow: style.overflowX, cue: style.backgroundImage,
              page: document.scrollingElement.scrollWidth, view: window.innerWidth};
    }""")
    page.close()
    assert result is not None, "no equation is wider than a phone's column: nothing to check"
    assert result["overflow"] in ("auto", "scroll")
    assert "gradient" in result["cue"], "no scroll cue on a wide equation"
    assert result["page"] <= result["view"] + 1, "the page itself scrolls sideways"


def test_figure_text_is_at_least_11px_at_1280(pages):
    small = []
    for path, found in pages.items():
        for src, natural, shown in found["figures"]:
            file = (HTML / path).parent / src
            if file.suffix != ".png" or not file.exists():
                continue
            dpi = png_dpi(file)
            if dpi is None:
                continue
            px = MIN_FONT_PT * dpi / 72 * shown / natural
            if px < MIN_PX:
                small.append(f"{path}: {src} smallest text {px:.1f} px")
    assert small == [], f"{len(small)} figures with text under {MIN_PX} px:\n" + "\n".join(small)


def test_a_shrunk_figure_opens_full_size_on_a_phone(browser, server):  # noqa: F811
    page, problems = open_page(browser, f"{server}/book/optimizers/optimizers.html")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    img = page.locator("img.nnbasics-zoomable").first
    img.scroll_into_view_if_needed()
    natural = img.evaluate("i => i.naturalWidth")
    img.click()
    big = page.locator(".nnbasics-lightbox img")
    big.wait_for(state="visible", timeout=5_000)
    assert big.evaluate("i => i.getBoundingClientRect().width") >= natural - 1
    page.locator(".nnbasics-lightbox").click()
    assert page.locator(".nnbasics-lightbox").count() == 0
    assert problems == []
    page.close()
