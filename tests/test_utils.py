"""Tests of nnbasics.utils: reproducibility, evaluation mode and showing the library's source."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import nnbasics
from nnbasics.activations import SigmoidFunction, sigmoid
from nnbasics.regularization import Dropout
from nnbasics.utils import evaluating, progress_bar, reproducible, show_source


def draws():
    return random.random(), float(np.random.rand())  # noqa: NPY002 -- the global RNG is what reproducible seeds, torch.rand(3).tolist()


def test_reproducible_gives_the_same_draws_twice():
    threads = torch.get_num_threads()
    try:
        g1 = reproducible(5, threads=1)
        first, from_g1 = draws(), torch.rand(2, generator=g1).tolist()
        g2 = reproducible(5, threads=1)
        assert draws() == first
        assert torch.rand(2, generator=g2).tolist() == from_g1
        assert torch.get_num_threads() == 1
        assert torch.are_deterministic_algorithms_enabled()
        reproducible(6, threads=1)
        assert draws() != first
    finally:
        torch.use_deterministic_algorithms(False)
        torch.set_num_threads(threads)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seed": -1}, "seed must be a non-negative int, got -1"),
    ({"seed": 1.5}, "seed must be a non-negative int"),
    ({"threads": 0}, "threads must be a positive int, got 0"),
])
def test_reproducible_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        reproducible(**kwargs)


def test_show_source_is_the_real_source():
    shown = show_source(sigmoid)
    text = repr(shown)
    assert text.startswith("# nnbasics.activations.sigmoid  (src/nnbasics/activations.py)\n")
    assert "def sigmoid(input: Tensor) -> Tensor:" in text
    assert "    return SigmoidFunction.apply(check_tensor(input))" in text  # indentation kept
    md = shown._repr_markdown_()
    assert md.startswith("`nnbasics.activations.sigmoid  (src/nnbasics/activations.py)`\n\n```python\n")
    assert md.rstrip().endswith("```")


def test_show_source_of_several_objects_and_of_a_method():
    text = repr(show_source(SigmoidFunction.backward, nnbasics.utils))
    assert "# nnbasics.activations.SigmoidFunction.backward" in text
    assert text.count("\n# nnbasics.utils  (src/nnbasics/utils.py)") == 1
    assert "\ndef backward(ctx, grad_out: Tensor) -> Tensor:" in text  # dedented method


def test_show_source_rejects_what_has_no_source():
    with pytest.raises(TypeError, match="cannot show the source of 3"):
        show_source(3)
    with pytest.raises(ValueError, match="at least one"):
        show_source()


@pytest.mark.parametrize("training", [True, False])
def test_evaluating_switches_to_eval_without_gradients_and_restores_the_mode(training):
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), Dropout(0.5)).train(training)
    x = torch.ones(4, 3)
    with evaluating(model) as inside:
        assert inside is model and not model.training and not model[1].training
        out = model(x)
        assert not out.requires_grad  # no graph is built
        assert torch.equal(out, model[0](x))  # dropout is off
    assert model.training == training and model[1].training == training
    with pytest.raises(RuntimeError, match="boom"), evaluating(model):
        raise RuntimeError("boom")
    assert model.training == training  # restored after an error too


def test_book_style_sizes_figures_for_the_column():
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from nnbasics.utils import BOOK_STYLE, book_style

    with mpl.rc_context():
        mpl.rcParams["font.size"] = 6
        reproducible(0, threads=torch.get_num_threads())
        assert mpl.rcParams["font.size"] == 11
        fig = plt.figure()
        width_px = fig.get_figwidth() * fig.dpi
        plt.close(fig)
        assert width_px == pytest.approx(688)  # the column's width at 1280 px
        sizes = [v for k, v in BOOK_STYLE.items() if k.endswith("size") and k != "figure.figsize"]
        assert min(sizes) * 100 / 72 >= 11  # points at 100 dpi, shown 1:1, in px
        book_style()
        assert mpl.rcParams["savefig.facecolor"] == "white"


@pytest.mark.parametrize(("env", "show", "off"),
                         [(None, True, False), ("1", True, True), ("0", True, False), (None, False, True)])
def test_progress_bar_is_off_when_asked_or_when_tqdm_disable_is_set(monkeypatch, env, show, off):
    # In a notebook tqdm.auto is tqdm's notebook bar, which ignores TQDM_DISABLE by itself: make
    # execute and nbval set it so that no frozen bar is stored in a chapter.
    import tqdm.auto
    from tqdm.notebook import tqdm as notebook_tqdm

    monkeypatch.setattr(tqdm.auto, "tqdm", notebook_tqdm)
    if env is None:
        monkeypatch.delenv("TQDM_DISABLE", raising=False)
    else:
        monkeypatch.setenv("TQDM_DISABLE", env)
    bar = progress_bar(range(3), show=show, desc="epochs")
    assert bar.disable is off
    assert list(bar) == [0, 1, 2]
