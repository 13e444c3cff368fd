"""Tests of nnbasics.init: the same values as torch.nn.init, and the right statistics."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnbasics import init

SHAPES = [(30, 20), (16, 3, 5, 5), (7, 4, 3)]
SCHEMES = [
    ("uniform_", {"a": -0.3, "b": 0.7}),
    ("normal_", {"mean": 0.5, "std": 2.0}),
    ("xavier_uniform_", {}),
    ("xavier_uniform_", {"gain": 5 / 3}),
    ("xavier_normal_", {"gain": 2.0}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"nonlinearity": "relu"}),
    ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "tanh"}),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("name", "kwargs"), SCHEMES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEMES)])
def test_same_values_as_torch_with_the_same_generator(name, kwargs, shape):
    ours = getattr(init, name)(torch.empty(shape), **kwargs, generator=torch.Generator().manual_seed(7))
    theirs = getattr(nn.init, name)(torch.empty(shape), **kwargs, generator=torch.Generator().manual_seed(7))
    assert torch.equal(ours, theirs)


def test_constant_zeros_ones():
    t = torch.empty(3, 4)
    assert torch.equal(init.constant_(t, 2.5), torch.full((3, 4), 2.5))
    assert torch.equal(init.zeros_(t), torch.zeros(3, 4)) and torch.equal(init.ones_(t), torch.ones(3, 4))


@pytest.mark.parametrize(("nonlinearity", "param"), [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected)


def test_fans_from_the_definition():
    assert init.compute_fans(torch.empty(100, 784)) == (784, 100)
    assert init.compute_fans(torch.empty(64, 3, 3, 3)) == (27, 576)  # 3 * 3 * 3 and 64 * 3 * 3


def test_statistics_on_a_large_tensor():
    w = torch.empty(1000, 2000)
    g = torch.Generator().manual_seed(0)
    init.kaiming_normal_(w, nonlinearity="relu", generator=g)
    assert w.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert w.std().item() == pytest.approx(math.sqrt(2 / 2000), rel=0.01)
    init.kaiming_uniform_(w, nonlinearity="relu", generator=g)
    bound = math.sqrt(6 / 2000)
    assert w.abs().max().item() <= bound and w.abs().max().item() > 0.999 * bound
    init.xavier_uniform_(w, generator=g)
    assert w.var().item() == pytest.approx(2 / 3000, rel=0.01)
    init.xavier_normal_(w, gain=5 / 3, generator=g)
    assert w.std().item() == pytest.approx(5 / 3 * math.sqrt(2 / 3000), rel=0.01)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: init.xavier_uniform_(torch.empty(5)), ValueError,
         "fewer than 2 dimensions, got shape \\(5,\\)"),
        (lambda: init.kaiming_normal_(torch.empty(3)), ValueError, "fan_in and fan_out are undefined"),
        (lambda: init.kaiming_normal_(torch.empty(3, 3), nonlinearity="swish"), ValueError,
         "nonlinearity must be one of"),
        (lambda: init.kaiming_normal_(torch.empty(3, 3), mode="fan_avg"), ValueError, "mode must be one of"),
        (lambda: init.normal_(torch.empty(3), std=-1.0), ValueError, r"std must be >= 0\.0, got -1\.0"),
        (lambda: init.uniform_(torch.empty(3), a=1.0, b=0.0), ValueError, "a must be <= b"),
        (lambda: init.zeros_([1, 2]), TypeError, "tensor must be a torch.Tensor, got list"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
