"""Every chapter page shows at least two conceptual diagrams from book/figures, with alt text and a
caption, and every one loads, in light and in dark mode (issue 22)."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("NNBASICS_HTML") or ROOT / "_build" / "html")
CHAPTERS = ["activations", "networks", "init", "losses", "gradient-descent", "optimizers", "regularization",
            "conv", "recurrent", "attention", "capstone"]
FIGURES = {p.stem for p in (ROOT / "book" / "figures").glob("*.svg")}

DIAGRAMS_JS = """() => Array.from(document.querySelectorAll('main figure')).map(f => {
    const img = f.querySelector('img');
    if (!img) return null;
    const cap = f.querySelector('figcaption');
    return {src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
            ok: img.complete && img.naturalWidth > 0, width: img.getBoundingClientRect().width,
            caption: cap ? cap.innerText.trim() : '',
            number: cap ? (cap.querySelector('.caption-number') || {}).innerText || '' : ''};
}).filter(d => d)"""


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail(f"build the book first (no {HTML / 'index.html'})")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def page():
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no chromium on PATH")
        pytest.skip("no chromium on PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_two_captioned_diagrams_that_load(page, server, chapter, mode):
    page.goto(f"{server}/book/{chapter}/{chapter}.html", wait_until="load")
    page.evaluate(f"""() => {{
        localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');
        const root = document.documentElement;
        root.dataset.mode = '{mode}'; root.dataset.theme = '{mode}'; }}""")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=10_000)
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    # Sphinx copies book/figures/<name>.svg to _images/<name>.svg
    shown = page.evaluate(DIAGRAMS_JS)
    diagrams = [d for d in shown if d["src"].rsplit("/", 1)[-1].removesuffix(".svg") in FIGURES]
    assert len(diagrams) >= 2, f"{chapter}: {len(diagrams)} diagrams from book/figures"
    for d in diagrams:
        assert d["ok"], f"{d['src']} did not load"
        assert len(d["alt"]) >= 40, f"{d['src']}: alt text missing or too short"
        assert d["caption"] and d["number"].startswith("Fig"), f"{d['src']}: no numbered caption"
        assert d["width"] >= 300, f"{d['src']}: shown only {d['width']} px wide"
    # every diagram is referred to from the prose: a link to its anchor
    for fid in page.evaluate("Array.from(document.querySelectorAll('main figure[id]')).map(f => f.id)"):
        if fid.startswith("fig-"):
            assert page.locator(f"main a[href='#{fid}']").count() >= 1, f"{chapter}: nothing refers to {fid}"


def smallest_font(name: str) -> tuple[float, float]:
    """The diagram's smallest font size and its viewBox width, both in SVG user units."""
    svg = (ROOT / "book" / "figures" / f"{name}.svg").read_text(encoding="utf-8")
    view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    return min(float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)), view_width


@pytest.mark.parametrize("device", ["phone", "tablet"])
@pytest.mark.parametrize("chapter", ["conv", "recurrent"])
def test_diagrams_are_legible_on_a_phone_and_a_tablet_or_open_full_size(page, server, chapter, device):
    """Shown at the column width, a diagram's smallest text is 11 px or more; where the column is
    too narrow for that (a phone), a tap opens it full size, where its text is 11 px or more."""
    sizes = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 768, "height": 1024}}
    page.set_viewport_size(sizes[device])
    page.goto(f"{server}/book/{chapter}/{chapter}.html", wait_until="load")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=10_000)
    checked = 0
    for fig in page.locator("main figure img").all():
        name = fig.get_attribute("src").rsplit("/", 1)[-1].removesuffix(".svg")
        if name not in FIGURES:
            continue
        font, view_width = smallest_font(name)
        shown = fig.evaluate("i => i.getBoundingClientRect().width")
        checked += 1
        if font * shown / view_width >= 11:
            continue
        fig.scroll_into_view_if_needed()
        zoomable = "nnbasics-zoomable" in (fig.get_attribute("class") or "")
        assert zoomable, f"{device}: {name} is shown small and does not open full size"
        fig.click()
        big = page.locator(".nnbasics-lightbox img")
        big.wait_for(state="visible", timeout=5_000)
        full = big.evaluate("i => i.getBoundingClientRect().width")
        assert font * full / view_width >= 11, f"{device}: {name} opened at {full} px, text still under 11 px"
        page.locator(".nnbasics-lightbox").click()
        assert page.locator(".nnbasics-lightbox").count() == 0
    assert checked >= 3, f"{chapter}: only {checked} diagrams found"
    page.set_viewport_size({"width": 1280, "height": 900})
