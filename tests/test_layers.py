"""Tests of nnbasics.layers: Linear against torch.nn.Linear, and the parameter summary."""

from __future__ import annotations

import pytest
import torch
import torchinfo
from conftest import TOL, dtypes, random_tensor, seeds
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnbasics import activations as A
from nnbasics.layers import Linear, LinearFunction, count_parameters, summary


@given(seed=seeds, dtype=dtypes, lead=st.lists(st.integers(1, 4), min_size=0, max_size=2),
       n_in=st.integers(1, 6), n_out=st.integers(1, 6), bias=st.booleans())
def test_linear_matches_torch_after_loading_its_state(seed, dtype, lead, n_in, n_out, bias):
    theirs = nn.Linear(n_in, n_out, bias=bias).to(dtype)
    ours = Linear(n_in, n_out, bias=bias).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((*lead, n_in), dtype, seed)
    g = random_tensor((*lead, n_out), dtype, seed + 1, scale=1.0)
    results = []
    for layer in (ours, theirs):
        xi = x.clone().requires_grad_(True)
        layer.zero_grad()
        y = layer(xi)
        y.backward(g)
        results.append([y.detach(), xi.grad] + [p.grad for p in layer.parameters()])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, **TOL[dtype])


def test_default_init_draws_like_torch():
    torch.manual_seed(3)
    theirs = nn.Linear(20, 7)
    torch.manual_seed(3)
    ours = Linear(20, 7)
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)
    assert repr(ours) == repr(theirs)


def test_linear_gradcheck():
    x = random_tensor((4, 3), torch.float64, 0).requires_grad_(True)
    w = random_tensor((2, 3), torch.float64, 1).requires_grad_(True)
    b = random_tensor((2,), torch.float64, 2).requires_grad_(True)
    assert torch.autograd.gradcheck(LinearFunction.apply, (x, w, b))
    x3 = random_tensor((2, 3, 3), torch.float64, 3).requires_grad_(True)
    assert torch.autograd.gradcheck(LinearFunction.apply, (x3, w, None))


def worked_example(lib):
    Lin, Sig, ReLU, Softmax = (Linear, A.Sigmoid, A.ReLU, A.Softmax) if lib == "ours" else (
        nn.Linear, nn.Sigmoid, nn.ReLU, nn.Softmax)
    return nn.Sequential(Lin(3, 3), Sig(), Lin(3, 2), ReLU(), Lin(2, 2), Softmax(dim=1))


def test_the_chapter_network_has_26_parameters():
    net = worked_example("ours")
    assert count_parameters(net) == (3 * 3 + 3) + (3 * 2 + 2) + (2 * 2 + 2) == 26
    rows = summary(net, (5, 3))
    assert [r.params for r in rows] == [12, 0, 8, 0, 6, 0]
    assert rows[-1].output_shape == (5, 2) and rows.total == rows.trainable == 26
    assert "total parameters" in str(rows) and "26" in str(rows)


MODELS = [
    lambda: worked_example("ours"),
    lambda: nn.Sequential(Linear(784, 500), A.ReLU(), Linear(500, 10)),
    lambda: nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          Linear(6 * 12 * 12, 10)),
    lambda: nn.Sequential(Linear(10, 20, bias=False), nn.BatchNorm1d(20), A.Tanh(), Linear(20, 1)),
]
SIZES = [(5, 3), (2, 784), (2, 1, 28, 28), (4, 10)]


@pytest.mark.parametrize(("make", "size"), list(zip(MODELS, SIZES, strict=True)))
def test_summary_agrees_with_torchinfo(make, size):
    model = make()
    model[0].weight.requires_grad_(False)  # a frozen layer: trainable < total
    ours = summary(model, size)
    theirs = torchinfo.summary(model, input_size=size, verbose=0)
    assert (ours.total, ours.trainable) == (theirs.total_params, theirs.trainable_params)
    assert count_parameters(model, trainable_only=False) == theirs.total_params
    leaves = [r for r in theirs.summary_list if r.is_leaf_layer]
    assert [r.params for r in ours] == [r.num_params for r in leaves]
    assert [list(r.output_shape) for r in ours] == [r.output_size for r in leaves]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Linear(3, 2)(torch.ones(4, 5)), ValueError,
         r"expects input of shape \[\.\.\., 3\], got \(4, 5\)"),
        (lambda: Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64)), TypeError, "does not match"),
        (lambda: Linear(3, 2)(torch.ones(4, 3, dtype=torch.long)), TypeError, "floating-point"),
        (lambda: Linear(-1, 2), ValueError, "in_features must be a non-negative int"),
        (lambda: count_parameters("net"), TypeError, "model must be a torch.nn.Module"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_linear_with_zero_inputs_matches_torch() -> None:
    """Linear(0, 3) is legal in torch (the output is the bias); no ZeroDivisionError (issue 21)."""
    ours, theirs = Linear(0, 3), torch.nn.Linear(0, 3)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 0)
    torch.testing.assert_close(ours(x), theirs(x))
