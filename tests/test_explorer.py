"""Tests of nnbasics.explorer: every setting computed once, stored rounded in a valid Vega-Lite spec."""

from __future__ import annotations

import json

import altair as alt
import jsonschema
import numpy as np
import pytest
import torch

from nnbasics import activations as A
from nnbasics.explorer import VEGALITE_MIME, Dropdown, Explorer, Slider


def curve(fn, k):
    t = torch.linspace(-2, 2, 5, dtype=torch.float64)
    y = {"relu": A.relu, "sigmoid": A.sigmoid}[fn](k * t)
    return {"t": t, "y": y, "peak": y.max().item()}


def draw(view):
    line = view.data().mark_line().encode(x="t:Q", y="y:Q")
    return line.properties(width=300, title=view.title("{fn}, k = {k:.2f}"))


def explorer(**kwargs):
    controls = {"fn": Dropdown(["relu", "sigmoid"], "activation"),
                "k": Slider([0.5, 1.0, 1.5, 2.0], "k", 1.0)}
    return Explorer(curve, draw, alt="a curve", **{**controls, **kwargs})


def test_every_setting_is_computed_once_and_stored_rounded_with_its_controls_keys():
    calls = []

    def counting(fn, k):
        calls.append((fn, k))
        return curve(fn, k)

    spec = Explorer(counting, draw, alt="a curve", fn=Dropdown(["relu", "sigmoid"], "activation"),
                    k=Slider([0.5, 1.0, 1.5, 2.0], "k", 1.0)).spec()
    assert calls == [(f, k) for f in ("relu", "sigmoid") for k in (0.5, 1.0, 1.5, 2.0)]
    rows = spec["datasets"]["main"]
    assert len(rows) == 8
    row = next(r for r in rows if r["ctl_fn"] == "sigmoid" and r["ctl_k"] == 1.5)
    expected = A.sigmoid(1.5 * torch.linspace(-2, 2, 5, dtype=torch.float64))
    assert row["y"] == [float(f"{v:.4g}") for v in expected.tolist()]
    assert row["t"] == [-2.0, -1.0, 0.0, 1.0, 2.0] and row["peak"] == float(f"{expected.max().item():.4g}")


def test_the_spec_is_valid_vega_lite_with_bound_controls_a_filter_and_the_alt_text():
    spec = explorer().spec()
    schema = alt.vegalite.v5.schema.core.load_schema()
    jsonschema.Draft7Validator(schema).validate(spec)  # the data included
    params = {p["name"]: p for p in spec["params"]}
    assert params["ctl_fn"]["bind"] == {"input": "select", "options": ["relu", "sigmoid"],
                                        "name": "activation "}
    assert params["ctl_k"]["bind"] == {"input": "range", "min": 0.5, "max": 2.0, "step": 0.5, "name": "k "}
    assert params["ctl_k"]["value"] == 1.0 and params["ctl_fn"]["value"] == "relu"
    assert spec["transform"] == [{"filter": "datum.ctl_fn == ctl_fn && abs(datum.ctl_k - ctl_k) < 0.25"},
                                 {"flatten": ["t", "y"]}]
    assert spec["description"] == "a curve" and spec["usermeta"]["nnbasics"]["digits"] == 4
    assert spec["title"]["text"] == {"expr": "'' + ctl_fn + \", k = \" + format(ctl_k, \".2f\")"}


def test_a_log_spaced_slider_moves_the_exponent_and_titles_show_the_value():
    lr = Slider(list(np.logspace(-3, 0, 13)), "learning rate", 10**-1.5)
    assert lr.scale == "log" and lr.keys[0] == -3.0 and lr.keys[-1] == 0.0 and lr.step == pytest.approx(0.25)
    assert lr.binding()["name"] == "log₁₀ learning rate "
    assert lr.expr("ctl_lr") == "pow(10, ctl_lr)"
    assert Slider(list(range(2, 51, 4)), "depth").keys[:2] == (2, 6)  # integers stay integers


def test_the_mimebundle_is_vega_lite_for_jupyterlab_and_the_book():
    bundle = explorer()._repr_mimebundle_()
    assert set(bundle) == {VEGALITE_MIME, "text/plain"}
    json.dumps(bundle[VEGALITE_MIME], allow_nan=False)  # plain JSON: no NaN, no numpy types
    assert bundle["text/plain"] == "<explorer: fn, k; 8 settings>"


def test_nan_and_infinity_become_null_and_integers_stay_exact():
    def compute(k):
        return {"x": [1, 2, 3], "y": [float("nan"), float("inf"), 123456.789], "n": 235146}

    spec = Explorer(compute, lambda v: v.data().mark_point().encode(x="x:Q", y="y:Q"), alt="points",
                    k=Slider([1, 2], "k")).spec()
    row = spec["datasets"]["main"][0]
    assert row["y"] == [None, None, 123500.0] and row["n"] == 235146 and row["x"] == [1, 2, 3]


def test_static_tables_are_stored_once_and_not_filtered():
    ex = Explorer(lambda k: {"main": {"x": [k], "y": [k]}},
                  lambda v: alt.layer(v.data("grid").mark_line().encode(x="gx:Q", y="gy:Q"),
                                      v.data().mark_point().encode(x="x:Q", y="y:Q")),
                  alt="a point on a line", static={"grid": {"gx": [0, 1], "gy": [0, 1]}},
                  k=Slider([0.0, 0.5, 1.0], "k"))
    spec = ex.spec()
    assert spec["datasets"]["grid"] == [{"gx": [0, 1], "gy": [0, 1]}]
    assert len(spec["datasets"]["main"]) == 3
    grid_layer = spec["layer"][0]
    assert grid_layer["transform"] == [{"flatten": ["gx", "gy"]}]


@pytest.mark.parametrize(("args", "error", "message"), [
    (dict(compute=3), TypeError, "compute must be callable, got int"),
    (dict(draw=None), TypeError, "draw must be callable, got NoneType"),
    (dict(alt=" "), ValueError, "alt must describe the first view"),
    (dict(digits=1), ValueError, "digits must be an int from 2 to 12, got 1"),
    (dict(k=[1, 2]), TypeError, "control 'k' must be a Slider or a Dropdown, got list"),
])
def test_bad_explorer_arguments_are_named(args, error, message):
    kwargs = dict(compute=curve, draw=draw, alt="a curve", fn=Dropdown(["relu"], "f"), k=Slider([1, 2], "k"))
    kwargs.update(args)
    with pytest.raises(error, match=message):
        Explorer(**kwargs)
    with pytest.raises(ValueError, match="at least one control"):
        Explorer(curve, draw, alt="a curve")


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: Slider([1, 2, 4, 5], "k"), ValueError, "equally spaced on a linear or a log scale"),
    (lambda: Slider([3, 2, 1], "k"), ValueError, "increasing and equally spaced"),
    (lambda: Slider([1], "k"), ValueError, "at least 2 numbers"),
    (lambda: Slider("abc", "k"), TypeError, "Slider values must be a sequence of numbers, got str"),
    (lambda: Slider([1, 2, 3], "k", 2.5), ValueError, "Slider value must be one of its values, got 2.5"),
    (lambda: Dropdown([], "f"), TypeError, "non-empty sequence of strings"),
    (lambda: Dropdown(["a", "b"], "f", "c"), ValueError, r"one of its options \['a', 'b'\], got 'c'"),
])
def test_bad_controls_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_compute_results_are_named_with_the_setting():
    def ragged(k):
        return {"x": [1, 2, 3], "y": [1, 2]}

    with pytest.raises(ValueError, match=r"compute\(\{'k': 1\}\) table 'main': column 'y' has 2 values"):
        Explorer(ragged, draw, alt="x", k=Slider([1, 2], "k")).spec()
    with pytest.raises(TypeError, match="compute must return a non-empty mapping of columns, got list"):
        Explorer(lambda k: [1], draw, alt="x", k=Slider([1, 2], "k")).spec()
    with pytest.raises(ValueError, match="column names must be identifiers"):
        Explorer(lambda k: {"a b": [1]}, draw, alt="x", k=Slider([1, 2], "k")).spec()
    with pytest.raises(ValueError, match="column 'm' must be 1-D, got shape"):
        Explorer(lambda k: {"m": np.zeros((2, 2))}, draw, alt="x", k=Slider([1, 2], "k")).spec()
    with pytest.raises(TypeError, match="draw must return an Altair chart, got str"):
        Explorer(curve, lambda v: "chart", alt="x", fn=Dropdown(["relu"], "f"), k=Slider([1, 2], "k")).spec()
    with pytest.raises(ValueError, match=r"no table 'other'; compute returned \['main'\]"):
        Explorer(curve, lambda v: v.data("other"), alt="x", fn=Dropdown(["relu"], "f"),
                 k=Slider([1, 2], "k")).spec()


def test_widgets_compute_values_off_the_grid_with_the_same_draw(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    box = explorer().widgets()
    fn, k, _ = box.children
    assert k.min == 0.5 and k.max == 2.0 and k.step == pytest.approx(0.05)
    k.value = 1.25  # not on the grid
    spec = shown[-1][VEGALITE_MIME]
    (row,) = spec["datasets"]["main"]
    assert row["ctl_k"] == 1.25 and row["y"][-1] == float(f"{A.relu(torch.tensor(2.5)).item():.4g}")
    ints = Explorer(lambda n: {"x": list(range(n))}, lambda v: v.data().mark_point().encode(x="x:Q"),
                    alt="points", n=Slider([20, 40, 60], "length")).widgets().children[0]
    assert (ints.min, ints.max, ints.step) == (20, 60, 1)  # every integer, not only the grid's
    assert all("bind" not in p for p in spec["params"])
    fn.value = "sigmoid"
    assert shown[-1][VEGALITE_MIME]["datasets"]["main"][0]["ctl_fn"] == "sigmoid"


def test_widgets_give_a_log_grid_of_integers_as_its_own_values(monkeypatch):
    seen = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: None)

    def compute(depth):
        seen.append(depth)
        return {"layer": list(range(depth)), "std": [1.0] * depth}

    ex = Explorer(compute, lambda v: v.data().mark_line().encode(x="layer:Q", y="std:Q"), alt="std per layer",
                  depth=Slider([3, 6, 12, 24], "depth", 12))
    assert ex.spec()["usermeta"]["nnbasics"]["log"] == ["ctl_depth"]
    assert ex.controls["depth"].keys == (0.4771, 0.7782, 1.0792, 1.3802)
    (slider, _) = ex.widgets().children
    slider.value = 24
    assert seen[-1] == 24 and isinstance(seen[-1], int)
