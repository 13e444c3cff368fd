"""The explorers stay live in JupyterLab (issue 35): a notebook's stored explorer output, opened
without running anything, is drawn by JupyterLab's own Vega-Lite renderer (on a canvas), and each of
its sliders (moved with the mouse) and menus redraws it. Uses the JupyterLab server and Chromium of
test_jupyterlab_markdown.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_explorers import SPECS, change
from test_jupyterlab_markdown import chromium, lab  # noqa: F401  (fixtures, used by name)

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


@pytest.mark.parametrize("page_path", sorted(SPECS))
def test_the_stored_explorer_is_live_in_jupyterlab(chromium, lab, page_path) -> None:  # noqa: F811
    notebook = Path(page_path).with_suffix(".ipynb").as_posix()
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{lab}/lab/tree/{notebook}?reset")  # a new workspace: no notebook of an earlier test
    panel = page.locator(".jp-NotebookPanel:visible")
    charts = panel.locator(".jp-RenderedVegaLite")
    charts.first.locator("canvas").first.wait_for(timeout=120_000)  # JupyterLab draws on a canvas
    assert charts.count() == len(SPECS[page_path])
    for chart, spec in zip(charts.all(), SPECS[page_path], strict=True):
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
    assert errors == []
    page.close()
