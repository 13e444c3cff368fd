"""Every chapter's explorer, live in the built book (issue 35), in headless Chromium at 390 and 1280 px.

For each page holding an explorer (nnbasics.explorer, drawn by book/_static/nnbasics-explorers.js):
- every notebook's explorer output is on its page, drawn, with its alt text on the drawing;
- each slider and menu, operated from the keyboard or by choosing an option, redraws the drawing
  (the SVG before and after differ) and the new drawing fits the column;
- dark mode redraws it on a dark background, keeping the reader's settings;
- no console error, and no request leaves the site.
An explorer that stops redrawing fails this test, and so `make test`. Needs the built book and
Chromium, as test_browser.py does; screenshots of each first view go to _build/screenshots/explorers/.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from test_responsive import chromium, server  # noqa: F401  (fixtures, used by name)

from nnbasics_course.explorer_page import VEGALITE_MIME
from nnbasics_course.toc import toc_files

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "_build" / "screenshots" / "explorers"
WIDTHS = (390, 1280)


def explorer_specs() -> dict[str, list[dict]]:
    """Page path -> the Vega-Lite specs its notebook stores, for every notebook with an explorer."""
    found = {}
    for path in toc_files(ROOT):
        if path.suffix != ".ipynb":
            continue
        nb = nbformat.read(path, as_version=4)
        specs = [o["data"][VEGALITE_MIME] for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if VEGALITE_MIME in o.get("data", {})]
        if specs:
            found[path.relative_to(ROOT).with_suffix(".html").as_posix()] = specs
    return found


SPECS = explorer_specs()


def test_the_chapters_have_explorers_to_test() -> None:
    assert len(SPECS) >= 10, f"only {sorted(SPECS)} store an explorer"


SVG = "f => f.querySelector('.nnbasics-explorer-view svg').outerHTML"
DRAWN = "f => Number(f.dataset.drawn || 0)"


def change(control, page) -> str:
    """Operate one control as a reader would: a menu's next option, a slider's arrow keys."""
    if control.evaluate("e => e.tagName") == "SELECT":
        options = control.evaluate("e => [...e.options].map(o => o.value)")
        now = control.input_value()
        choice = options[(options.index(now) + 1) % len(options)]
        control.select_option(choice)
        return f"menu -> {choice}"
    control.focus()
    before = control.input_value()
    page.keyboard.press("ArrowRight")
    if control.input_value() == before:  # at its maximum
        page.keyboard.press("ArrowLeft")
    return f"slider {before} -> {control.input_value()}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", sorted(SPECS))
def test_every_control_redraws_the_explorer_on_phone_and_laptop(chromium, server, path, width) -> None:  # noqa: F811
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems, offsite = [], []
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("request", lambda req: urlparse(req.url).hostname not in ("127.0.0.1", None)
            and req.url.startswith("http") and offsite.append(req.url))
    page.goto(f"{server}/{path}", wait_until="networkidle")
    figures = page.locator("figure.nnbasics-explorer")
    assert figures.count() == len(SPECS[path]), "each stored explorer is on the page"
    page.wait_for_function("() => [...document.querySelectorAll('figure.nnbasics-explorer')]"
                           ".every(f => f.dataset.drawn)", timeout=20_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i, (figure, spec) in enumerate(zip(figures.all(), SPECS[path], strict=True)):
        view = figure.locator(".nnbasics-explorer-view")
        assert view.get_attribute("aria-label") == spec["description"], "the first view's alt text"
        assert view.get_attribute("role") == "graphics-document"
        figure.scroll_into_view_if_needed()
        figure.screenshot(path=str(SHOTS / f"{path.replace('/', '_')}-{i}-{width}.png"))
        controls = figure.locator(".vega-bind input[type=range], .vega-bind select").all()
        assert len(controls) == len(spec["params"]), "one control per parameter"
        for control in controls:
            assert control.evaluate("e => e.tabIndex") >= 0, "keyboard-operable"
            before = figure.evaluate(SVG)
            what = change(control, page)
            page.wait_for_function(f"([f, b]) => ({SVG})(f) !== b", arg=[figure.element_handle(), before],
                                   timeout=5_000)
            assert figure.evaluate(SVG) != before, f"{what} did not redraw"
        svg_width = figure.evaluate("f => f.querySelector('svg').getBoundingClientRect().right")
        assert svg_width <= width, f"the drawing ends at {svg_width} px, past the {width} px screen"
        right = figure.evaluate("f => Math.max(...[...f.querySelectorAll('.vega-bind *')]"
                                ".map(e => e.getBoundingClientRect().right))")
        assert right <= width, f"a control ends at {right} px, past the {width} px screen"
    assert problems == []
    assert offsite == [], "every script and datum is served by the book itself"
    context.close()


@pytest.mark.parametrize("path", sorted(SPECS))
def test_dark_mode_redraws_on_a_dark_background_keeping_the_settings(chromium, server, path) -> None:  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/{path}", wait_until="networkidle")
    figure = page.locator("figure.nnbasics-explorer").first
    page.wait_for_function("f => f.dataset.drawn", arg=figure.element_handle())
    control = figure.locator(".vega-bind input[type=range], .vega-bind select").first
    change(control, page)
    chosen = control.input_value()
    drawn = figure.evaluate(DRAWN)
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    page.wait_for_function(f"f => ({DRAWN})(f) > {drawn}", arg=figure.element_handle())
    background = figure.evaluate("f => getComputedStyle(f.querySelector('svg')).backgroundColor")
    rgb = [int(v) for v in background[background.index("(") + 1:-1].split(",")[:3]]
    assert sum(rgb) / 3 < 80, f"dark mode draws on {background}"
    assert figure.locator(".vega-bind input[type=range], .vega-bind select").first.input_value() == chosen
    figure.screenshot(path=str(SHOTS / f"{path.replace('/', '_')}-dark.png"))
    context.close()


def test_each_explorers_data_is_under_300_kb_compressed() -> None:
    import gzip

    sizes = {f"{path}[{i}]": len(gzip.compress(json.dumps(spec).encode(), 6))
             for path, specs in SPECS.items() for i, spec in enumerate(specs)}
    assert sizes and max(sizes.values()) < 300_000, sizes
