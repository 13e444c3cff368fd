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


ORTHOGONAL_SHAPES = [(6, 6), (9, 4), (4, 9), (16, 3, 3, 3), (2, 3, 5), (1, 5), (5, 1)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("gain", [1, 5 / 3, 0.25])
@pytest.mark.parametrize("shape", ORTHOGONAL_SHAPES)
def test_orthogonal_equals_torch_under_a_seed(shape, gain, dtype):
    ours = init.orthogonal_(torch.empty(shape, dtype=dtype), gain, torch.Generator().manual_seed(11))
    theirs = nn.init.orthogonal_(torch.empty(shape, dtype=dtype), gain, torch.Generator().manual_seed(11))
    assert torch.equal(ours, theirs)


def test_orthogonal_draws_from_the_global_generator_like_torch():
    torch.manual_seed(5)
    ours = init.orthogonal_(torch.empty(8, 3))
    torch.manual_seed(5)
    assert torch.equal(ours, nn.init.orthogonal_(torch.empty(8, 3)))


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
@pytest.mark.parametrize("shape", ORTHOGONAL_SHAPES)
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, gain):
    w = init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain, torch.Generator().manual_seed(0))
    m = w.reshape(shape[0], -1)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T  # Q^T Q (tall) or Q Q^T (wide)
    torch.testing.assert_close(gram, gain**2 * torch.eye(gram.shape[0], dtype=torch.float64),
                               rtol=0, atol=1e-12)
    singular_values = torch.linalg.svdvals(m)
    torch.testing.assert_close(singular_values, torch.full_like(singular_values, gain), rtol=0, atol=1e-12)


def test_orthogonal_is_not_the_same_matrix_for_every_seed_and_keeps_the_sign_fix():
    a = init.orthogonal_(torch.empty(5, 5, dtype=torch.float64), generator=torch.Generator().manual_seed(1))
    b = init.orthogonal_(torch.empty(5, 5, dtype=torch.float64), generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(a, b)
    # without the sign fix, Q would be the raw QR factor of the same draw: the fix changes some column
    g = torch.Generator().manual_seed(1)
    q, r = torch.linalg.qr(torch.empty(5, 5, dtype=torch.float64).normal_(0, 1, generator=g))
    assert (torch.diag(r) < 0).any() and not torch.equal(a, q)
    assert torch.equal(a, q * torch.diag(r).sign())


def test_orthogonal_empty_noncontiguous_and_parameter():
    empty = torch.empty(0, 3)
    assert init.orthogonal_(empty) is empty
    base = torch.empty(4, 6, dtype=torch.float64)
    view = base.t()  # (6, 4), not contiguous
    init.orthogonal_(view, generator=torch.Generator().manual_seed(2))
    expected = nn.init.orthogonal_(torch.empty(6, 4, dtype=torch.float64),
                                   generator=torch.Generator().manual_seed(2))
    assert torch.equal(view, expected)
    p = nn.Parameter(torch.empty(3, 3))
    assert init.orthogonal_(p) is p and p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: init.orthogonal_(torch.empty(5)), ValueError,
         r"tensor must have at least 2 dimensions .*got shape \(5,\)"),
        (lambda: init.orthogonal_(torch.empty(())), ValueError, r"tensor must have at least 2 dimensions"),
        (lambda: init.orthogonal_([[1.0, 0.0], [0.0, 1.0]]), TypeError,
         "tensor must be a torch.Tensor, got list"),
        (lambda: init.orthogonal_(torch.zeros(3, 3, dtype=torch.long)), TypeError,
         "tensor must be a floating-point tensor"),
        (lambda: init.orthogonal_(torch.empty(3, 3), gain=-1.0), ValueError,
         r"gain must be >= 0\.0, got -1\.0"),
        (lambda: init.orthogonal_(torch.empty(3, 3), gain="1"), TypeError, "gain must be a real number"),
    ],
)
def test_orthogonal_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
