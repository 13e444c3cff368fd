"""The explorers stay live in JupyterLab (issue 35): a notebook's stored explorer output, opened
without running anything, is drawn by JupyterLab's own Vega-Lite renderer (on a canvas), and each of
its sliders (moved with the mouse) and menus redraws it.

Opening a notebook in JupyterLab is the slow part of the browser tests, so the check runs on the page
test_jupyterlab_markdown.py's reference test opens anyway (`assert_explorers_redraw`); the test here
makes sure that page covers every notebook with an explorer.
"""

from __future__ import annotations

from pathlib import Path

from test_explorers import SPECS, change

ROOT = Path(__file__).resolve().parents[2]
PIXELS = "c => c.querySelector('canvas').toDataURL()"


def click(slider) -> str:
    """A slider moved with the mouse: a click on its track, away from the thumb."""
    before = float(slider.input_value())
    low, high = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    box = slider.bounding_box()
    fraction = 0.15 if (before - low) / (high - low) > 0.5 else 0.85
    slider.click(position={"x": box["width"] * fraction, "y": box["height"] / 2})
    return f"slider {before} -> {slider.input_value()}"


def explorer_specs_of(notebook: Path) -> list[dict]:
    """The Vega-Lite specs a notebook stores ([] for a notebook without an explorer)."""
    return SPECS.get(notebook.relative_to(ROOT).with_suffix(".html").as_posix(), [])


def assert_explorers_redraw(page, panel, notebook: Path) -> None:
    """Every explorer of the notebook open in `page` is drawn, with one control per parameter, and
    each control redraws its canvas."""
    specs = explorer_specs_of(notebook)
    if not specs:
        return
    charts = panel.locator(".jp-RenderedVegaLite")
    charts.first.locator("canvas").first.wait_for(timeout=120_000)  # JupyterLab draws on a canvas
    assert charts.count() == len(specs)
    for chart, spec in zip(charts.all(), specs, strict=True):
        chart.scroll_into_view_if_needed()
        controls = chart.locator(".vega-bind input[type=range], .vega-bind select").all()
        assert len(controls) == len(spec["params"]), "JupyterLab shows one control per parameter"
        for control in controls:
            before = chart.evaluate(PIXELS)
            # JupyterLab's notebook shortcuts take the arrow keys from a slider in an output (the
            # book's sliders are tested with the keyboard): here the mouse moves it, as a reader would.
            what = click(control) if control.evaluate("e => e.tagName") == "INPUT" else change(control, page)
            page.wait_for_function(f"([c, b]) => ({PIXELS})(c) !== b", arg=[chart.element_handle(), before],
                                   timeout=5_000)
            assert chart.evaluate(PIXELS) != before, f"{what} did not redraw"


def test_every_notebook_with_an_explorer_is_opened_in_jupyterlab() -> None:
    from test_jupyterlab_markdown import NOTEBOOKS  # the notebooks the reference test opens

    with_explorers = {p for p in NOTEBOOKS if explorer_specs_of(p)}
    assert len(with_explorers) == len(SPECS) >= 10
