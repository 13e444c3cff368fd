"""Explorers: a figure the reader changes with sliders and menus, live in the book and in JupyterLab.

Introduced in the chapter "Activation functions"; every chapter's explorer is an :class:`Explorer`,
defined once by two functions:

- ``compute(**setting)`` returns the numbers to draw for one setting of the controls, computed by
  ``nnbasics``: a mapping of column names to 1-D arrays (all of one length) and scalars, or a mapping
  of table names to such mappings when the figure draws several tables;
- ``draw(view)`` builds the figure as an Altair (Vega-Lite) chart over ``view.data(table)``.

When the notebook runs, the explorer calls ``compute`` for every setting on the controls' grid
(every slider value times every menu option) and stores the numbers, rounded to ``digits``
significant digits, inside the chart's Vega-Lite specification: that specification is the cell's
output, which nbval compares like any other. Moving a control in JupyterLab, in Colab or in the
published book only selects the stored numbers of that setting and redraws them; the browser
computes nothing.

With a kernel, :meth:`Explorer.widgets` gives the same figure under ipywidgets controls that
compute values off the grid: a float slider moves in tenths of the grid's step, an integer slider
in steps of 1; a log-spaced grid of integers keeps its own values.
"""

from __future__ import annotations

import itertools
import json
import math
import string
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Dropdown", "Explorer", "Slider", "View"]

VEGALITE_MIME = "application/vnd.vegalite.v5+json"
_PREFIX = "ctl_"  # parameter names in the chart, kept apart from Vega's own signals (width, padding...)


def _spacing(values: np.ndarray) -> tuple[str, np.ndarray] | None:
    """("linear", values) or ("log", log10 values) if the values are equally spaced that way."""
    for scale, keys in (("linear", values), ("log", np.log10(values) if (values > 0).all() else None)):
        if keys is None:
            continue
        steps = np.diff(keys)
        if (steps > 0).all() and np.allclose(steps, steps[0], rtol=1e-6, atol=0):
            return scale, keys
    return None


@dataclass(frozen=True)
class Slider:
    """A slider over ``values``: at least 2 numbers, equally spaced on a linear or a log scale.

    On a log scale the slider moves the exponent, ``log10(value)``, and the figure's title should
    show the value itself (:meth:`View.title`).

    :param values: the grid, at least 2 numbers (ints stay ints), increasing and equally spaced.
    :param label: the slider's label.
    :param value: the first view's value, one of ``values`` (default: the middle one).
    """

    values: Sequence[float]
    label: str
    value: float | None = None
    scale: str = field(init=False)
    keys: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence | np.ndarray):
            raise TypeError(f"Slider values must be a sequence of numbers, got {type(self.values).__name__}")
        values = list(self.values)
        if len(values) < 2 or not all(isinstance(v, int | float | np.number) for v in values):
            raise ValueError(f"Slider values must be at least 2 numbers, got {values!r}")
        found = _spacing(np.asarray(values, dtype=np.float64))
        if found is None:
            raise ValueError("Slider values must be increasing and equally spaced on a linear or a log "
                             f"scale, got {values!r}")
        scale, _ = found
        default = values[len(values) // 2] if self.value is None else self.value
        if not any(math.isclose(default, v, rel_tol=1e-9) for v in values):
            raise ValueError(f"Slider value must be one of its values, got {default!r}")
        object.__setattr__(self, "values", tuple(v.item() if isinstance(v, np.number) else v for v in values))
        object.__setattr__(self, "value", default)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "keys", tuple(self.key(v) for v in self.values))

    def key(self, value: float) -> float:
        """The number the chart's parameter takes for ``value`` (its log10 on a log scale).

        :param value: one of the slider's values.
        """
        if self.scale == "log":  # 4 decimals tell any two grid values apart (their exponents differ)
            return round(math.log10(value), 4)
        return int(value) if isinstance(value, int | np.integer) else round(float(value), 9)

    @property
    def step(self) -> float:
        if len(self.keys) < 2:  # the widgets' path: one value, off the grid
            return 1.0
        return (self.keys[-1] - self.keys[0]) / (len(self.keys) - 1)

    def binding(self) -> dict:
        label = f"log₁₀ {self.label}" if self.scale == "log" else self.label
        return {"input": "range", "min": self.keys[0], "max": self.keys[-1], "step": round(self.step, 9),
                "name": f"{label} "}

    def matches(self, name: str) -> str:
        return f"abs(datum.{name} - {name}) < {self.step / 2!r}"

    def expr(self, name: str) -> str:
        return f"pow(10, {name})" if self.scale == "log" else name


@dataclass(frozen=True)
class Dropdown:
    """A menu of options.

    :param options: the options, strings; the chart's table holds a setting for each.
    :param label: the menu's label.
    :param value: the first view's option (default: the first).
    """

    options: Sequence[str]
    label: str
    value: str | None = None

    def __post_init__(self) -> None:
        options = list(self.options) if isinstance(self.options, Sequence) else None
        if not options or isinstance(self.options, str) or not all(isinstance(o, str) for o in options):
            raise TypeError(f"Dropdown options must be a non-empty sequence of strings, got {self.options!r}")
        default = options[0] if self.value is None else self.value
        if default not in options:
            raise ValueError(f"Dropdown value must be one of its options {options}, got {default!r}")
        object.__setattr__(self, "options", tuple(options))
        object.__setattr__(self, "value", default)

    @property
    def values(self) -> tuple[str, ...]:
        return self.options

    def key(self, value: str) -> str:
        return value

    def binding(self) -> dict:
        return {"input": "select", "options": list(self.options), "name": f"{self.label} "}

    def matches(self, name: str) -> str:
        return f"datum.{name} == {name}"

    def expr(self, name: str) -> str:
        return name


Control = Slider | Dropdown


def _round(value: Any, digits: int) -> Any:
    """``value`` as JSON, floats to ``digits`` significant digits (NaN and infinities as null)."""
    if isinstance(value, bool | str | None):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def _columns(table: Mapping, digits: int, where: str) -> tuple[dict, list[str]]:
    """A table as one datum: arrays become lists (the chart flattens them), scalars stay."""
    datum, arrays, length = {}, [], None
    for name, column in table.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith(_PREFIX):
            raise ValueError(f"{where}: column names must be identifiers not starting with {_PREFIX!r}, "
                             f"got {name!r}")
        if hasattr(column, "detach"):
            column = column.detach().cpu().numpy()
        if isinstance(column, np.ndarray | list | tuple):
            column = np.asarray(column)
            if column.ndim != 1:
                raise ValueError(f"{where}: column {name!r} must be 1-D, got shape {column.shape}")
            if length is not None and len(column) != length:
                raise ValueError(f"{where}: column {name!r} has {len(column)} values, the others {length}")
            length = len(column)
            datum[name] = [_round(v, digits) for v in column.tolist()]
            arrays.append(name)
        else:
            datum[name] = _round(column, digits)
    return datum, arrays


class View:
    """What ``draw`` builds the chart from: the data of the current setting and the controls' values.

    :param controls: the explorer's controls, by name.
    :param flattened: each table's array columns, by table name.
    :param static: the names of the tables no control changes.
    """

    def __init__(self, controls: Mapping[str, Slider | Dropdown], flattened: Mapping[str, list[str]],
                 static: set[str]) -> None:
        self._controls = controls
        self._flattened = flattened
        self._static = static

    def data(self, table: str = "main"):
        """An Altair chart over ``table``'s rows for the current setting of the controls.

        :param table: a table ``compute`` returned (``"main"`` when it returned columns) or a static one.
        """
        import altair as alt

        if table not in self._flattened:
            raise ValueError(f"no table {table!r}; compute returned {sorted(self._flattened)}")
        chart = alt.Chart(alt.NamedData(name=table))
        if table not in self._static:
            test = " && ".join(c.matches(_PREFIX + n) for n, c in self._controls.items())
            chart = chart.transform_filter(test)
        if self._flattened[table]:
            chart = chart.transform_flatten(self._flattened[table])
        return chart

    def expr(self, name: str) -> str:
        """A Vega expression for control ``name``'s current value (``pow(10, ...)`` on a log scale).

        :param name: a control's keyword.
        """
        if name not in self._controls:
            raise ValueError(f"no control {name!r}; the controls are {sorted(self._controls)}")
        return self._controls[name].expr(_PREFIX + name)

    def title(self, template: str):
        """A title that follows the controls.

        :param template: text with fields named after controls, such as ``"lr = {lr:.3f} on the
            {surface}"``; a field's format is a d3-format specifier (``.3f``, ``,``, ``.1%``).
        """
        import altair as alt

        parts = []
        for literal, name, spec, _ in string.Formatter().parse(template):
            if literal:
                parts.append(json.dumps(literal))
            if name is not None:
                value = self.expr(name)
                parts.append(f"format({value}, {json.dumps(spec)})" if spec else f"'' + {value}")
        return alt.TitleParams(alt.expr(" + ".join(parts) or "''"))


class Explorer:
    """A figure over every setting of its controls; see the module's documentation.

    :param compute: ``compute(**setting)`` returns the numbers of one setting: columns (1-D arrays
        of one length, and scalars) by name, or such tables by name.
    :param draw: ``draw(view)`` returns the Altair chart, built on ``view.data(table)``.
    :param alt: the first view in words, for readers who cannot see it (the drawing's ``aria-label``).
    :param static: tables no control changes (such as a loss surface's contour lines), by name.
    :param digits: significant digits the stored numbers keep (ints are kept exactly).
    :param tolerance: for numbers that move more than their last digit from one CPU to another,
        ``{"atol": ..., "rtol": ..., "reason": "..."}``: nbval then accepts
        ``|printed - stored| <= atol + rtol * |stored|`` too, as a cell's ``nbval-tolerance``.
    :param controls: one :class:`Slider` or :class:`Dropdown` per keyword of ``compute``.
    """

    def __init__(self, compute: Callable[..., Mapping], draw: Callable[[View], Any], *, alt: str,
                 static: Mapping[str, Mapping] | None = None, digits: int = 4,
                 tolerance: Mapping[str, Any] | None = None, **controls: Slider | Dropdown) -> None:
        if not callable(compute):
            raise TypeError(f"compute must be callable, got {type(compute).__name__}")
        if not callable(draw):
            raise TypeError(f"draw must be callable, got {type(draw).__name__}")
        if not controls:
            raise ValueError("Explorer needs at least one control, e.g. lr=Slider([...], 'learning rate')")
        for name, control in controls.items():
            if not isinstance(control, Slider | Dropdown):
                raise TypeError(f"control {name!r} must be a Slider or a Dropdown, "
                                f"got {type(control).__name__}")
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError("alt must describe the first view in words, for readers who cannot see it")
        if not isinstance(digits, int) or isinstance(digits, bool) or not 2 <= digits <= 12:
            raise ValueError(f"digits must be an int from 2 to 12, got {digits!r}")
        if tolerance is not None:
            if not isinstance(tolerance, Mapping) or not str(tolerance.get("reason", "")).strip() \
                    or set(tolerance) - {"atol", "rtol", "reason"} \
                    or not all(isinstance(tolerance.get(k, 0), int | float) and tolerance.get(k, 0) >= 0
                               for k in ("atol", "rtol")):
                raise ValueError("tolerance must be {'atol': >= 0, 'rtol': >= 0, 'reason': 'why the numbers "
                                 f"move'}}, got {tolerance!r}")
            tolerance = {k: tolerance[k] for k in ("atol", "rtol", "reason") if k in tolerance}
        self.tolerance = tolerance
        self.compute, self.draw, self.alt, self.digits = compute, draw, alt, digits
        self.controls: dict[str, Control] = dict(controls)
        self.static = {name: dict(table) for name, table in (static or {}).items()}
        self._spec: dict | None = None

    def settings(self) -> list[dict[str, Any]]:
        """Every setting of the controls, as keyword arguments of ``compute``."""
        names = list(self.controls)
        grids = [self.controls[n].values for n in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grids)]

    def _tables(self, setting: Mapping[str, Any]) -> dict[str, Mapping]:
        result = self.compute(**setting)
        if not isinstance(result, Mapping) or not result:
            raise TypeError("compute must return a non-empty mapping of columns, "
                            f"got {type(result).__name__}")
        if all(isinstance(v, Mapping) for v in result.values()):
            return dict(result)
        return {"main": result}

    def _datasets(self, settings: list[dict[str, Any]]) -> tuple[dict[str, list], dict[str, list[str]]]:
        datasets: dict[str, list] = {}
        flattened: dict[str, list[str]] = {}
        for name, table in self.static.items():
            datum, arrays = _columns(table, self.digits, f"static table {name!r}")
            datasets[name], flattened[name] = [datum], arrays
        from .utils import progress_bar  # silent under make execute and nbval (TQDM_DISABLE)

        for setting in progress_bar(settings, desc="explorer grid", leave=False):
            keys = {_PREFIX + n: self.controls[n].key(v) for n, v in setting.items()}
            for name, table in self._tables(setting).items():
                if name in self.static:
                    raise ValueError(f"compute returned table {name!r}, which is also a static table")
                datum, arrays = _columns(table, self.digits, f"compute({setting}) table {name!r}")
                if name in flattened and flattened[name] != arrays:
                    raise ValueError(f"compute({setting}) table {name!r} has array columns {arrays}, "
                                     f"other settings {flattened[name]}")
                flattened.setdefault(name, arrays)
                datasets.setdefault(name, []).append({**keys, **datum})
        return datasets, flattened

    def _params(self, bind: bool = True) -> list:
        import altair as alt

        params = []
        for name, control in self.controls.items():
            value = control.key(control.value)
            params.append(alt.param(name=_PREFIX + name, value=value, bind=control.binding()) if bind
                          else alt.param(name=_PREFIX + name, value=value))
        return params

    def spec(self, settings: list[dict[str, Any]] | None = None, *, bind: bool = True) -> dict:
        """The Vega-Lite specification, data included.

        :param settings: the settings to compute (default: the whole grid).
        :param bind: bind the parameters to sliders and menus (the widgets' path does not).
        """
        if settings is None and self._spec is not None and bind:
            return self._spec
        datasets, flattened = self._datasets(self.settings() if settings is None else settings)
        view = View(self.controls, flattened, set(self.static))
        chart = self.draw(view)
        if not hasattr(chart, "to_dict"):
            raise TypeError(f"draw must return an Altair chart, got {type(chart).__name__}")
        chart = chart.add_params(*self._params(bind)).properties(description=self.alt)
        spec = chart.to_dict()  # validated against the Vega-Lite schema, without the (large) data
        spec["datasets"] = datasets
        # Any Vega-Lite 5 draws it: JupyterLab 4.6 bundles 5.6.1, and a spec naming Altair's 5.20.1
        # makes it log a version warning (the JupyterLab test checks every explorer draws there).
        spec["$schema"] = "https://vega.github.io/schema/vega-lite/v5.json"
        spec["usermeta"] = {"nnbasics": {"digits": self.digits, "alt": self.alt,
                                         "controls": list(self.controls),
                                         "log": [_PREFIX + n for n, c in self.controls.items()
                                                 if isinstance(c, Slider) and c.scale == "log"]}}
        if self.tolerance:
            spec["usermeta"]["nnbasics"]["tolerance"] = self.tolerance
        if settings is None and bind:
            self._spec = spec
        return spec

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        spec = self.spec()
        text = f"<explorer: {', '.join(self.controls)}; {len(self.settings())} settings>"
        if "google.colab" in sys.modules:  # Colab draws Altair's HTML (it loads Vega from a CDN, online)
            import altair as alt

            return alt.renderers.get()(spec)
        return {VEGALITE_MIME: spec, "text/plain": text}

    def widgets(self):
        """The same figure under ipywidgets controls that compute values off the grid (tenths of a
        float slider's step, every integer of an integer slider's range)."""
        import ipywidgets
        from IPython.display import display

        boxes = {}
        for name, control in self.controls.items():
            if isinstance(control, Dropdown):
                boxes[name] = ipywidgets.Dropdown(options=control.options, value=control.value,
                                                  description=control.label)
            elif control.scale == "log" and all(isinstance(v, int) for v in control.values):
                boxes[name] = ipywidgets.SelectionSlider(options=control.values, value=control.value,
                                                         description=control.label)
            elif control.scale == "log":
                boxes[name] = ipywidgets.FloatLogSlider(value=control.value, base=10, min=control.keys[0],
                                                        max=control.keys[-1], step=control.step / 10,
                                                        description=control.label)
            else:
                kind = ipywidgets.IntSlider if all(isinstance(v, int) for v in control.values) \
                    else ipywidgets.FloatSlider
                step = 1 if kind is ipywidgets.IntSlider else control.step / 10
                boxes[name] = kind(value=control.value, min=control.values[0], max=control.values[-1],
                                   step=step, description=control.label)
        out = ipywidgets.Output()

        def redraw(_change: object = None) -> None:
            setting = {n: b.value for n, b in boxes.items()}
            saved = {n: c for n, c in self.controls.items()}
            try:  # the chart's parameters take the widgets' values, off the grid too
                self.controls = {n: _at(c, setting[n]) for n, c in saved.items()}
                spec = self.spec([setting], bind=False)
            finally:
                self.controls = saved
            out.clear_output(wait=True)
            with out:
                display({VEGALITE_MIME: spec, "text/plain": "<explorer>"}, raw=True)

        for box in boxes.values():
            box.observe(redraw, names="value")
        redraw()
        return ipywidgets.VBox([*boxes.values(), out])


def _at(control: Control, value: Any) -> Control:
    """``control`` with ``value`` as its one value (the widgets' path computes a single setting)."""
    if isinstance(control, Dropdown):
        return Dropdown(control.options, control.label, value)
    single = Slider.__new__(Slider)
    object.__setattr__(single, "values", (value,))
    object.__setattr__(single, "label", control.label)
    object.__setattr__(single, "value", value)
    object.__setattr__(single, "scale", control.scale)
    object.__setattr__(single, "keys", (control.key(value),))
    return single
