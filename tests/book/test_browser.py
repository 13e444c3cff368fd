"""The built book as a reader meets it: every page in headless Chromium, served on 127.0.0.1.

Run by `make test` after the book is built (`make browser`); not part of the unit tests. Under
CI=true a missing browser is a failure, never a skip. Screenshots go to _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from nnbasics_course.toc import toc_files

ROOT = Path(__file__).resolve().parents[2]
# NNBASICS_HTML: test a book built elsewhere (jupyter-book build . --path-output DIR -> DIR/_build/html).
HTML = Path(os.environ.get("NNBASICS_HTML") or ROOT / "_build" / "html")
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PAGES = [p.relative_to(ROOT).with_suffix(".html").as_posix() for p in toc_files(ROOT)]


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("build the book first: make build-check")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        message = "no chromium on PATH (make browser installs Debian's chromium where it can)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        profile = tmp_path_factory.mktemp("chromium-profile")
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def open_page(browser, url):
    """Open ``url`` and return (page, problems): console errors, failed or non-2xx requests."""
    page = browser.new_page()
    problems = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="networkidle")
    return page, problems


def wait_for_math(page):
    """Wait for the page's load event, then for MathJax's first typeset where the page has one.

    Generous timeouts: under ``make test`` the browser shares two cores with nbval, and the API
    page's 900 formulas have been seen unfinished when the network fell idle.
    """
    page.wait_for_load_state("load", timeout=120_000)
    page.wait_for_function(
        "() => !window.MathJax || !MathJax.startup || !MathJax.startup.promise"
        " || MathJax.startup.promise.then(() => true)",
        timeout=120_000,
    )
    page.wait_for_timeout(200)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_with_math_and_images(browser, server, path):
    page, problems = open_page(browser, f"{server}/{path}")
    wait_for_math(page)
    assert problems == []
    text = page.inner_text("main")
    assert "$$" not in text and "\\(" not in text and "\\[" not in text, "raw LaTeX left on the page"
    if page.locator("span.math, div.math").count():
        assert page.locator("mjx-container").count() > 0, "math present but not typeset"
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == []
    for img in page.locator("main img").all():
        assert img.get_attribute("alt"), "every image needs alt text"
    page.close()


@pytest.mark.parametrize("path", [p for p in PAGES if p.endswith("/exercises.html")])
def test_solutions_are_collapsed_until_clicked(browser, server, path):
    page, problems = open_page(browser, f"{server}/{path}")
    solutions = page.locator("div.solution")
    assert solutions.count() >= 3
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        body = solution.locator(".solution-content").first
        assert not body.is_visible(), f"solution {i + 1} is open before a click"
        solution.locator("button.toggle-button").click()
        body.wait_for(state="visible", timeout=5_000)
    assert problems == []
    page.close()


def test_search_finds_dropout(browser, server):
    page, problems = open_page(browser, f"{server}/search.html?q=dropout")
    page.wait_for_selector("ul.search li", timeout=15_000)
    results = page.inner_text("ul.search")
    assert "Glossary" in results
    assert problems == []
    page.close()


def test_screenshots_of_landing_page_and_a_chapter(browser, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("landing", "book/intro.html"), ("activations", "book/activations/activations.html")):
        page, problems = open_page(browser, f"{server}/{path}")
        wait_for_math(page)
        out = SHOTS / f"{name}.png"
        page.screenshot(path=str(out), full_page=name == "landing")
        assert out.stat().st_size > 10_000 and problems == []
        page.close()
