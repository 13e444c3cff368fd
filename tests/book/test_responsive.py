"""The book on a phone, a tablet and a laptop, in English and Chinese (issue 18), in headless Chromium.

- The navigation drawer opens from the visible hamburger at 390x844 and 768x1024, lists every
  chapter and navigates (pydata-sphinx-theme 0.17 binds its drawer to a hidden toggle, upstream
  issue 2451; book/_static/nnbasics-nav.js wires the visible one). One search field on a desktop.
- At 1280 px every code cell and output box fits its column; one wider than its box scrolls inside
  it, and one that fits shows no scroll bar.
- A page's cold load, served as GitHub Pages serves it (text gzip-compressed), is under 1.5 MB at
  the median (0.46 MB measured; 1.78 MB uncompressed, bounded at 2.0 MB); the theme's Font Awesome
  fonts are replaced by subsets holding every glyph a page draws with them.
- The glossary's Chinese is marked lang="zh" and every glyph of it is drawn by a CJK font, the
  bundled subset included (book/_static/fonts/), never by a fallback box.

Needs the built book (make build-check, or NNBASICS_HTML=DIR) and Debian's chromium, as
test_browser.py does; one browser, each page visited once per viewport.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import yaml

from nnbasics_course.toc import toc_files

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("NNBASICS_HTML") or ROOT / "_build" / "html")
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PAGES = [p.relative_to(ROOT).with_suffix(".html").as_posix() for p in toc_files(ROOT)]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 768, "height": 1024}}


def toc_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [c["file"] + ".html" for part in toc["parts"] for c in part["chapters"]]


# What GitHub Pages (where the book is published) sends gzip-compressed; fonts and images go as they are.
GZIPPED = {".html", ".css", ".js", ".json", ".svg", ".txt", ".xml", ".map", ".ipynb"}


class PagesLikeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built book as GitHub Pages does: text types gzip-compressed when the browser
    accepts it, so the bytes measured are the bytes a reader's phone downloads."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix not in GZIPPED or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("build the book first: make build-check")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(PagesLikeHandler, directory=str(HTML)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def chromium():
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        message = "no chromium on PATH (make browser installs Debian's chromium where it can)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_drawer_opens_from_the_visible_hamburger_lists_every_chapter_and_navigates(chromium, server, device):
    context = chromium.new_context(viewport=VIEWPORTS[device], has_touch=True, is_mobile=device == "phone")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{server}/book/activations/activations.html", wait_until="load")
    toggles = page.locator(".primary-toggle").filter(visible=True)
    assert toggles.count() == 1, f"{device}: {toggles.count()} visible hamburgers, want 1"
    toggles.first.click()
    dialog = page.locator("#pst-primary-sidebar-modal")
    dialog.wait_for(state="visible", timeout=10_000)
    assert dialog.evaluate("d => d.open"), f"{device}: the hamburger did not open the drawer"
    box = dialog.bounding_box()
    assert box and box["width"] > 200 and box["x"] < VIEWPORTS[device]["width"] / 2, box
    hrefs = dialog.evaluate(
        "d => [...d.querySelectorAll('nav.bd-docs-nav a.reference.internal')]"
        ".map(a => new URL(a.getAttribute('href'), location.href).pathname)")
    listed = {h.lstrip("/") for h in hrefs}
    missing = [c for c in toc_chapters() if c not in listed]
    assert not missing, f"{device}: the drawer lacks {missing}"
    if device == "phone":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "phone-drawer.png"))
    link = dialog.locator("nav.bd-docs-nav a.reference.internal[href$='optimizers/optimizers.html']").first
    assert link.is_visible(), f"{device}: the optimizers chapter is not visible in the open drawer"
    link.click()
    page.wait_for_url("**/optimizers/optimizers.html", timeout=10_000)
    page.locator(".bd-article h1").first.wait_for(state="visible", timeout=10_000)
    # The drawer opens again on the new page, and closes with Escape, its nodes back in place.
    page.locator(".primary-toggle").filter(visible=True).first.click()
    page.locator("#pst-primary-sidebar-modal").wait_for(state="visible", timeout=10_000)
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('pst-primary-sidebar-modal').open")
    back = "() => document.querySelectorAll('#pst-primary-sidebar nav.bd-docs-nav').length"
    assert page.evaluate(back) == 1, "the drawer's links did not move back to the sidebar"
    assert not errors, errors
    context.close()


def test_one_search_field_and_one_header_on_a_desktop(desktop, server):
    page = desktop.new_page()
    page.goto(f"{server}/book/activations/activations.html", wait_until="load")
    fields = page.locator(".search-button-field").filter(visible=True)
    assert fields.count() == 1, f"{fields.count()} 'Search Ctrl+K' fields are visible, want 1"
    assert not page.locator("#pst-header").is_visible(), "the theme's second header is showing"
    sidebar = page.locator("#pst-primary-sidebar nav.bd-docs-nav")
    assert sidebar.is_visible()
    # The hamburger hides the sidebar in place on a desktop (no drawer) and shows it again.
    toggle = page.locator(".primary-toggle").filter(visible=True).first
    toggle.click()
    sidebar.wait_for(state="hidden", timeout=10_000)
    assert not page.evaluate("() => document.getElementById('pst-primary-sidebar-modal').open")
    toggle.click()
    sidebar.wait_for(state="visible", timeout=10_000)
    page.close()


def test_search_from_a_chapter_page_that_does_not_load_the_index(desktop, server):
    """Only search.html loads the search index (book/_ext/nnbasics_sphinx.py); the dialog of any
    other page still searches, by sending the query there."""
    page = desktop.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{server}/book/regularization/regularization.html", wait_until="load")
    assert not [u for u in fetched if "searchindex" in u or "searchtools" in u], fetched
    page.locator(".search-button-field").filter(visible=True).first.click()
    field = page.locator("#pst-search-dialog input[name=q]")
    field.wait_for(state="visible", timeout=10_000)
    field.fill("dropout")
    field.press("Enter")
    page.wait_for_url("**/search.html?q=dropout*", timeout=15_000)
    page.wait_for_selector("ul.search li", timeout=15_000)
    assert "Glossary" in page.inner_text("ul.search")
    page.close()


OVERFLOW_JS = """() => {
  const column = document.querySelector('main.bd-main .bd-article').getBoundingClientRect();
  const problems = [];
  let boxes = 0;
  for (const el of document.querySelectorAll(
      '.bd-article div.highlight pre, .bd-article div.cell_output .output')) {
    if (!el.offsetParent || el.closest('details:not([open])')) continue;
    boxes += 1;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const name = (el.closest('.cell') ? 'cell ' : '') + el.className + ': '
                 + el.textContent.trim().slice(0, 40);
    if (r.right > column.right + 1) problems.push(`${name}: box ends at ${r.right} > column ${column.right}`);
    const wider = el.scrollWidth > el.clientWidth + 1;
    const scrolls = ['auto', 'scroll'].includes(style.overflowX);
    if (wider && !scrolls) {
      problems.push(`${name}: clipped (${el.scrollWidth} > ${el.clientWidth}), no scroll bar`);
    }
    if (!wider && style.overflowX === 'scroll') problems.push(`${name}: a scroll bar on content that fits`);
  }
  return {boxes, problems};
}"""


EXERCISES_JS = """() => [...document.querySelectorAll('.exercise .admonition-title')]
  .map(t => t.textContent.trim())"""

# Font Awesome (the theme's icons, subset by tools/site/make_fontawesome.py): every <i> icon
# became an <svg>, none drawn as FA's "missing" placeholder.
ICONS_JS = """() => ({
  left: [...document.querySelectorAll('i[class*="fa-"]')].map(i => i.className),
  missing: document.querySelectorAll('svg.missing, svg[data-icon="circle-question"]').length,
  drawn: document.querySelectorAll('svg.svg-inline--fa').length})"""


# Every glyph drawn with a Font Awesome web font (text or ::before/::after content): the
# subsets of tools/site/make_fontawesome.py must hold each one.
FA_GLYPHS_JS = """() => {
  const out = new Set();
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      const s = getComputedStyle(el, pseudo);
      if (!s.fontFamily.includes('Font Awesome')) continue;
      let text = pseudo ? s.content
        : [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('');
      if (!text || text === 'none' || text === 'normal') continue;
      for (const ch of text.replace(/^"|"$/g, '')) {
        if (ch.codePointAt(0) >= 0xe000) {
          out.add(`${s.fontFamily.replace(/"/g, '')}|${s.fontWeight}|${ch.codePointAt(0)}`);
        }
      }
    }
  }
  return [...out];
}"""


# MathJax typesets after the network is idle; on a busy machine a page with 900 formulas
# (the API page) is not done by then, so wait for its first typeset to finish before counting.
MATH_JS = """async () => {
  const marked = document.querySelectorAll('.math').length;
  const startup = window.MathJax && window.MathJax.startup;
  if (marked && startup && startup.promise) await startup.promise;
  return {marked, rendered: document.querySelectorAll('mjx-container').length};
}"""


EXPLORERS_JS = "document.querySelectorAll('figure.nnbasics-explorer').length"


@pytest.fixture(scope="module")
def survey(desktop, server):
    """Every page once at 1280 px, from a cold cache: its code boxes, exercise titles, bytes."""
    page = desktop.new_page()
    cdp = desktop.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    received: list[int] = []
    decoded: list[int] = []
    urls: list[str] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    cdp.on("Network.dataReceived", lambda event: decoded.append(event["dataLength"]))
    cdp.on("Network.requestWillBeSent", lambda event: urls.append(event["request"]["url"]))
    results = {}
    for path in PAGES:
        received.clear()
        decoded.clear()
        urls.clear()
        page.goto(f"{server}/{path}", wait_until="networkidle")
        # a long page may still be parsing when the network falls idle
        page.wait_for_load_state("load", timeout=120_000)
        results[path] = {"bytes": sum(received), "decoded": sum(decoded), "urls": list(urls),
                         "exercises": page.evaluate(EXERCISES_JS), "icons": page.evaluate(ICONS_JS),
                         "fa_glyphs": page.evaluate(FA_GLYPHS_JS), "math": page.evaluate(MATH_JS),
                         "explorers": page.evaluate(EXPLORERS_JS),
                         **page.evaluate(OVERFLOW_JS)}
    cdp.detach()
    page.close()
    return results


def test_code_and_outputs_fit_or_scroll_in_their_own_box_at_1280(survey):
    total = sum(r["boxes"] for r in survey.values())
    problems = [f"{path}: {p}" for path, r in survey.items() for p in r["problems"]]
    assert total > 100, f"only {total} code/output boxes found: the selectors no longer match"
    assert not problems, "\n".join(problems[:20])


def test_exercises_are_numbered_per_chapter(survey):
    chapters = {c.rsplit("/", 1)[0]: n for n, c in enumerate(toc_chapters(), start=1)}
    seen = 0
    for path, result in survey.items():
        folder = path.rsplit("/", 1)[0]
        titles = result["exercises"]
        if not titles:
            continue
        assert folder in chapters, f"{path}: exercises outside a chapter folder"
        numbers = [re.match(r"Exercise (\d+)\.(\d+)", t) for t in titles]
        assert all(numbers), f"{path}: titles not 'Exercise C.K': {titles[:3]}"
        assert {int(m[1]) for m in numbers} == {chapters[folder]}, f"{path}: {titles[:3]}"
        seen += len(titles)
    by_chapter: dict[int, list[int]] = {}
    for path in PAGES:  # a chapter's pages in book order: its numbers run 1, 2, 3, ...
        for t in survey[path]["exercises"]:
            m = re.match(r"Exercise (\d+)\.(\d+)", t)
            by_chapter.setdefault(int(m[1]), []).append(int(m[2]))
    for chapter, ks in by_chapter.items():
        assert ks == list(range(1, len(ks) + 1)), f"chapter {chapter}: exercises numbered {ks}"
    assert seen > 20, f"only {seen} exercises found"


def test_every_icon_is_drawn_by_the_font_awesome_subset(survey):
    problems = {path: r["icons"] for path, r in survey.items() if r["icons"]["left"] or r["icons"]["missing"]}
    assert not problems, f"icons not drawn (add them to tools/site/make_fontawesome.py): {problems}"
    assert all(r["icons"]["drawn"] >= 8 for r in survey.values()), {p: r["icons"] for p, r in survey.items()}


def test_median_cold_load_of_a_page_is_under_1_5_mb(survey):
    """What a reader's phone downloads for one page from an empty cache, served as GitHub Pages
    serves it (text gzip-compressed); the uncompressed total is bounded too, so a page cannot pass
    only because its bloat compresses well."""
    weights = sorted(r["bytes"] for r in survey.values())
    raw = sorted(r["decoded"] for r in survey.values())
    median, raw_median = weights[len(weights) // 2], raw[len(raw) // 2]
    print(f"cold-load bytes per page: median {median / 1e6:.2f} MB over the wire "
          f"({raw_median / 1e6:.2f} MB uncompressed), max {weights[-1] / 1e6:.2f} MB")
    assert median < 1_500_000, f"median page weight {median / 1e6:.2f} MB"
    assert raw_median < 2_000_000, f"median uncompressed page weight {raw_median / 1e6:.2f} MB"


def test_every_page_with_an_explorer_is_under_1_5_mb_and_only_those_load_vega(survey):
    """Issue 35: not only the median page, every page with an explorer: its Vega, Vega-Lite and
    Vega-Embed (0.28 MB compressed), its data and the rest of the page, from an empty cache."""
    with_explorers = {path: r for path, r in survey.items() if r["explorers"]}
    loads_vega = {path for path, r in survey.items() if any("/_static/vega/" in u for u in r["urls"])}
    assert len(with_explorers) >= 10, f"only {sorted(with_explorers)} hold an explorer"
    pages = set(with_explorers)
    assert loads_vega == pages, {"Vega without an explorer": sorted(loads_vega - pages),
                                 "an explorer without Vega": sorted(pages - loads_vega)}
    weights = {path: r["bytes"] for path, r in with_explorers.items()}
    print("pages with an explorer, MB over the wire:", {p: round(w / 1e6, 2) for p, w in weights.items()})
    heavy = {path: f"{w / 1e6:.2f} MB" for path, w in weights.items() if w >= 1_500_000}
    assert not heavy, f"pages with an explorer over 1.5 MB: {heavy}"


def test_mathjax_is_loaded_only_where_math_appears_and_renders_it_there(survey):
    with_math = {path for path, r in survey.items() if r["math"]["marked"]}
    loads = {path for path, r in survey.items() if any("/mathjax/" in u for u in r["urls"])}
    assert len(with_math) >= 15, f"only {len(with_math)} pages with math: the selector no longer matches"
    assert loads == with_math, {"MathJax without math": sorted(loads - with_math),
                                "math without MathJax": sorted(with_math - loads)}
    unrendered = {path: r["math"] for path, r in survey.items()
                  if path in with_math and not r["math"]["rendered"]}
    assert not unrendered, f"math left unrendered: {unrendered}"
    assert len(with_math) < len(survey), "every page has math: nothing to test about pages without it"


def test_font_awesome_web_fonts_are_the_subsets_and_hold_every_glyph_drawn(survey):
    from fontTools.ttLib import TTFont

    theirs = {path: [u for u in r["urls"] if re.search(r"/fa-[a-z]+-[0-9]+\.(woff2|ttf)", u)]
              for path, r in survey.items()}
    theirs = {path: urls for path, urls in theirs.items() if urls}
    assert not theirs, f"the theme's Font Awesome fonts are still fetched: {theirs}"
    fonts = ROOT / "book" / "_static" / "fonts"
    cmaps = {("Font Awesome 6 Free", "900"): set(TTFont(fonts / "fa-solid-900-subset.woff").getBestCmap()),
             ("Font Awesome 6 Free", "400"): set(TTFont(fonts / "fa-regular-400-subset.woff").getBestCmap()),
             ("Font Awesome 6 Brands", "400"): set(TTFont(fonts / "fa-brands-400-subset.woff").getBestCmap())}
    drawn = {g for r in survey.values() for g in r["fa_glyphs"]}
    assert drawn, "no glyph drawn with a Font Awesome font: the exercise pencil should be one"
    missing = []
    for glyph in drawn:
        family, weight, code = glyph.split("|")
        if int(code) not in cmaps.get((family.split(",")[0].strip(), weight), set()):
            missing.append(f"{family} {weight} U+{int(code):04X}")
    assert not missing, f"glyphs not in the subsets (add them to make_fontawesome.py CSS_GLYPHS): {missing}"


PLATFORM_FONTS_JS = """async () => {
  await document.fonts.ready;
  const spans = [...document.querySelectorAll('[lang="zh"]')];
  const text = spans.map(s => s.textContent).join('');
  const probe = document.createElement('div');
  probe.id = 'nnbasics-font-probe';
  probe.style.fontFamily = '"nnbasics Noto Sans SC", serif';
  probe.textContent = text.replace(/[\\x00-\\x7f]/g, '');
  document.body.appendChild(probe);
  await document.fonts.load('16px "nnbasics Noto Sans SC"', probe.textContent);
  const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'nnbasics Noto Sans SC');
  return {spans: spans.length, chars: probe.textContent.length, faces: faces.map(f => f.status)};
}"""


def platform_fonts(page, selector):
    """What Chromium drew the text under ``selector`` with: {family: glyph count}."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    fonts: dict[str, int] = {}
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            key = font["familyName"] + (" (bundled)" if font["isCustomFont"] else "")
            fonts[key] = fonts.get(key, 0) + font["glyphCount"]
    cdp.detach()
    return fonts


def test_chinese_is_marked_and_drawn_by_a_cjk_font_the_bundled_subset_covering_it(desktop, server):
    page = desktop.new_page()
    page.goto(f"{server}/book/glossary.html", wait_until="load")
    result = page.evaluate(PLATFORM_FONTS_JS)
    assert result["spans"] >= 80, f"only {result['spans']} lang=zh spans in the glossary"
    assert result["faces"] == ["loaded"], f"the bundled CJK font did not load: {result['faces']}"
    # Every glyph of the probe (the glossary's Chinese in the bundled font, then serif) comes
    # from the bundled subset: none fell back to another font or to a box.
    probe = platform_fonts(page, "#nnbasics-font-probe")
    assert all(f.endswith("(bundled)") for f in probe), f"glyphs outside the bundled subset: {probe}"
    assert sum(probe.values()) == result["chars"], (probe, result["chars"])
    # The glossary's own Chinese spans: drawn by CJK fonts only (the reader's, or the bundled one).
    spans = platform_fonts(page, '[lang="zh"]')
    strangers = {f: n for f, n in spans.items() if not any(k in f for k in ("CJK", "SC", "Hei", "PingFang"))}
    assert not strangers, f"Chinese drawn by non-CJK fonts: {strangers}"
    page.close()
