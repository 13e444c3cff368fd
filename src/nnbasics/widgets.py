"""Interactive explorers for the chapters: controls that redraw one matplotlib figure.

Introduced in the chapter "Activation functions"; every chapter's explorer is an
:class:`Explorer`. In JupyterLab the controls redraw the figure. In the book, which shows
stored outputs, the figure drawn for the default values is a plain image, and the controls
are replaced by a note saying that the figure is interactive in JupyterLab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Explorer"]

_NOTE = (
    "<p><em>Interactive in JupyterLab: run this notebook (<code>make lab</code>) to change "
    "{names} and watch the figure above redraw.</em></p>"
)


def _controls_box(children: list, names: str):
    import ipywidgets

    class Controls(ipywidgets.VBox):
        # The book cannot run widgets; it shows this note (text/html) in their place.
        def _repr_mimebundle_(self, **kwargs: Any) -> dict:
            bundle = super()._repr_mimebundle_(**kwargs) or {}
            bundle["text/html"] = _NOTE.format(names=names)
            return bundle

    return Controls(children)


class Explorer:
    """A figure drawn by ``draw(**values)`` and one widget per keyword in ``controls``.

    ``draw`` must return a :class:`matplotlib.figure.Figure`; each control is an ipywidgets
    value widget (``Dropdown``, ``FloatSlider``...) whose ``value`` is the default.
    """

    def __init__(self, draw: Callable[..., Any], **controls: Any) -> None:
        if not callable(draw):
            raise TypeError(f"draw must be callable, got {type(draw).__name__}")
        if not controls:
            raise ValueError("Explorer needs at least one control, e.g. lr=FloatSlider(...)")
        for name, widget in controls.items():
            if not hasattr(widget, "value") or not hasattr(widget, "observe"):
                raise TypeError(f"control {name!r} must be an ipywidgets value widget")
        self.draw = draw
        self.controls = controls
        self._handle = None

    def values(self) -> dict[str, Any]:
        """The controls' current values, by keyword."""
        return {name: widget.value for name, widget in self.controls.items()}

    def figure(self):
        """Draw the figure for the current values, and close it so it is not shown twice."""
        import matplotlib.pyplot as plt

        fig = self.draw(**self.values())
        plt.close(fig)
        return fig

    def _redraw(self, _change: object = None) -> None:
        if self._handle is not None:
            self._handle.update(self.figure())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        self._handle = display(self.figure(), display_id=True)
        for widget in self.controls.values():
            widget.observe(self._redraw, names="value")
        names = ", ".join(self.controls)
        display(_controls_box(list(self.controls.values()), names))
