"""Tests of nnbasics.widgets.Explorer."""

from __future__ import annotations

import ipywidgets
import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from nnbasics.widgets import Explorer


def draw(slope, label):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, slope], label=label)
    return fig


def test_explorer_draws_with_the_current_values_and_redraws_on_change(monkeypatch):
    slope = ipywidgets.FloatSlider(value=2.0, min=0, max=5)
    label = ipywidgets.Dropdown(options=["a", "b"], value="a")
    explorer = Explorer(draw, slope=slope, label=label)
    assert explorer.values() == {"slope": 2.0, "label": "a"}
    assert explorer.figure().axes[0].lines[0].get_ydata()[1] == 2.0

    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def fake_display(obj, display_id=False):
        shown.append(obj)
        return Handle() if display_id else None

    monkeypatch.setattr("IPython.display.display", fake_display)
    explorer._ipython_display_()
    figure, controls = shown
    assert figure.axes[0].lines[0].get_ydata()[1] == 2.0
    bundle = controls._repr_mimebundle_()
    assert "Interactive in JupyterLab" in bundle["text/html"] and "slope, label" in bundle["text/html"]
    slope.value = 4.0
    assert updates[-1].axes[0].lines[0].get_ydata()[1] == 4.0


def test_explorer_rejects_bad_arguments():
    with pytest.raises(TypeError, match="draw must be callable"):
        Explorer(3, x=ipywidgets.IntSlider())
    with pytest.raises(ValueError, match="at least one control"):
        Explorer(draw)
    with pytest.raises(TypeError, match="control 'x' must be an ipywidgets value widget"):
        Explorer(draw, x=3)
