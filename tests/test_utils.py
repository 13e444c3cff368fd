"""Tests of nnbasics.utils: reproducibility, evaluation mode and showing the library's source."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import torch

import nnbasics
from nnbasics.activations import SigmoidFunction, sigmoid
from nnbasics.regularization import Dropout
from nnbasics.utils import evaluating, forbid, progress_bar, reproducible, show_source


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


# --- forbid: the exercises' "use only ..." rules ---------------------------------------------------

SOFTMAX_RULE = "use torch.exp, .max(), .sum() and arithmetic only"
SOFTMAX_NAMES = ("torch.softmax", "nnbasics.activations.softmax", "nnbasics.activations.SoftmaxFunction")


def _calls(name: str) -> str:
    return re.escape(f"the answer calls {name},")


def _no_hooks_left() -> bool:
    import sys

    return sys.getprofile() is None and torch._C._len_torch_function_stack() == 0


def _by_hand(s):
    e = torch.exp(s - s.max())
    return e / e.sum()


@pytest.mark.parametrize(("call", "shown"), [
    (lambda s: torch.softmax(s, 0), "torch.softmax"),
    (lambda s: s.softmax(0), "torch.Tensor.softmax"),  # the method form
    (lambda s: torch.nn.functional.softmax(s, 0), "torch.nn.functional.softmax"),
    (lambda s: torch.special.softmax(s, 0), "torch.special.softmax"),
    (lambda s: torch.nn.Softmax(0)(s), "torch.nn.functional.softmax"),  # a module calling it
    (lambda s: nnbasics.activations.softmax(s, 0), "nnbasics.activations.softmax"),
    (lambda s: nnbasics.activations.SoftmaxFunction.apply(s, 0), "nnbasics.activations.SoftmaxFunction"),
    (lambda s: nnbasics.activations.Softmax(0)(s), "nnbasics.activations.softmax"),
])
def test_forbid_catches_every_spelling_of_a_forbidden_call(call, shown):
    s = torch.randn(5, requires_grad=True)
    with pytest.raises(AssertionError) as err, forbid(*SOFTMAX_NAMES, rule=SOFTMAX_RULE):
        call(s)
    assert str(err.value) == f"the answer calls {shown}, which this exercise does not allow: {SOFTMAX_RULE}"
    assert _no_hooks_left()


def test_forbid_catches_an_alias_made_before_the_block():
    from torch.nn.functional import cross_entropy as ce

    from nnbasics.losses import huber_loss as hl

    x, t = torch.randn(4, 3), torch.tensor([0, 2, 1, 1])
    with pytest.raises(AssertionError, match=_calls("torch.nn.functional.cross_entropy")), \
            forbid("torch.nn.functional.cross_entropy"):
        ce(x, t)
    with pytest.raises(AssertionError, match=_calls("nnbasics.losses.huber_loss")), \
            forbid("nnbasics.losses.huber_loss"):
        hl(x, x + 1)
    linear = torch.nn.functional.linear  # the builtin torch._C._nn.linear
    for call in (lambda: linear(x, torch.ones(2, 3)), lambda: torch.nn.Linear(3, 2)(x)):
        with pytest.raises(AssertionError, match=_calls("torch.nn.functional.linear")), \
                forbid("torch.nn.functional.linear"):
            call()
    assert _no_hooks_left()


def test_forbid_lets_the_allowed_calls_through():
    s = torch.randn(6, dtype=torch.float64)
    with forbid(*SOFTMAX_NAMES, "torch.nn.functional.cross_entropy", "torch.autograd.grad"):
        probs = _by_hand(s)
        logits = torch.stack([s, 2 * s])
        log_probs = logits - torch.log(torch.exp(logits).sum(1, keepdim=True))
    torch.testing.assert_close(probs, torch.softmax(s, 0))
    torch.testing.assert_close(log_probs, torch.log_softmax(logits, 1))
    # torch's own internals are not the answer's calls: cross_entropy computes a log-softmax inside
    with forbid("torch.log_softmax"):
        torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1]))
    assert _no_hooks_left()


class _Doubling(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 2 * x

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output


class _DoublingByAutograd(_Doubling):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            xr = x.detach().requires_grad_(True)
            return torch.autograd.grad(2 * xr, xr, grad_output)


class _DoublingByBackward(_Doubling):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            xr = x.detach().requires_grad_(True)
            (2 * xr).backward(grad_output)
        return xr.grad


class _DoublingByTorchFunc(_Doubling):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.func.vjp(lambda t: 2 * t, x)[1](grad_output)


AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward")


@pytest.mark.parametrize("function", [_DoublingByAutograd, _DoublingByBackward, _DoublingByTorchFunc])
def test_forbid_catches_autograd_in_a_backward_called_through_grad_fn(function):
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    out = function.apply(x)
    with pytest.raises(AssertionError, match=r"torch\.autograd\.grad|torch\.Tensor\.backward"), \
            forbid(*AUTOGRAD, rule="write the backward pass by hand"):
        out.grad_fn.apply(torch.ones(3, dtype=torch.float64))
    assert _no_hooks_left()
    out = _Doubling.apply(x)
    with forbid(*AUTOGRAD, rule="write the backward pass by hand"):
        (grad,) = (out.grad_fn.apply(torch.ones(3, dtype=torch.float64)),)
    torch.testing.assert_close(grad, torch.full((3,), 2.0, dtype=torch.float64))


def test_forbid_fails_a_forbidden_call_the_answer_swallows():
    def sneaky(s):
        try:
            return torch.softmax(s, 0)
        except AssertionError:
            return _by_hand(s)

    def library(s):
        return nnbasics.activations.softmax(s, 0)  # a Python call: recorded, failed at the end

    for answer in (sneaky, library):
        with pytest.raises(AssertionError, match="does not allow"), forbid(*SOFTMAX_NAMES):
            probs = answer(torch.randn(4))
        assert probs.shape == (4,)  # the block ran to its end
    assert _no_hooks_left()


def test_forbid_removes_its_hooks_after_an_error_and_nests():
    with pytest.raises(ZeroDivisionError), forbid("torch.softmax", "nnbasics.activations.softmax"):
        _ = 1 / 0
    assert _no_hooks_left()
    with pytest.raises(AssertionError, match=_calls("nnbasics.activations.softmax")), \
            forbid("nnbasics.activations.softmax"):
        with pytest.raises(AssertionError, match=_calls("nnbasics.losses.cross_entropy")), \
                forbid("nnbasics.losses.cross_entropy"):
            nnbasics.losses.cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]))
        with forbid("torch.logsumexp"):
            nnbasics.activations.softmax(torch.randn(3), 0)  # the enclosing block still watches
    assert _no_hooks_left()
    torch.softmax(torch.randn(3), 0)  # allowed again


def test_forbid_rejects_names_that_name_nothing():
    with pytest.raises(ValueError, match="at least one name"), forbid():
        pass
    with pytest.raises(ValueError, match=re.escape("'torch.sofmax' names nothing")), forbid("torch.sofmax"):
        pass
    with pytest.raises(ValueError, match="names nothing"), forbid("nosuchmodule.f"):
        pass
    with pytest.raises(TypeError, match="not a function"), forbid("torch.pi"):
        pass
    with pytest.raises(TypeError, match="rule must be"), forbid("torch.softmax", rule=""):
        pass
    assert _no_hooks_left()


def test_forbid_tells_apart_functions_that_share_a_decorator():
    # torch.optim's step() methods share one wrapper's code: forbidding Adam must not refuse SGD
    w = torch.zeros(2, requires_grad=True)
    w.grad = torch.ones(2)
    with forbid("torch.optim.Adam"):
        torch.optim.SGD([w], lr=0.1).step()
    torch.testing.assert_close(w.detach(), torch.full((2,), -0.1))
    with pytest.raises(AssertionError, match="Adam"), forbid("torch.optim.Adam"):
        torch.optim.Adam([w], lr=0.1).step()
