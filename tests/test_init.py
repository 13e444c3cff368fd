"""Tests of nnbasics.init: the same values as torch.nn.init, and the right statistics."""

from __future__ import annotations

import itertools
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


# --- The Jacobian through depth: jacobian_products and jacobian_spectra ---------------------------

TORCH_ACTIVATIONS = {"linear": lambda z: z, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def chain_weights(sizes, seed=0):
    """Weights W_1 ... W_L of a stack with the given widths n_0, ..., n_L, float64, entries N(0, 1/n)."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n_out, n_in, generator=g, dtype=torch.float64) / math.sqrt(n_in)
            for n_in, n_out in itertools.pairwise(sizes)]


def stack(weights, nonlinearity):
    """h_L as a function of h_0, with torch's own activations: the reference."""
    def forward(h):
        for w in weights:
            h = TORCH_ACTIVATIONS[nonlinearity](w @ h)
        return h
    return forward


@pytest.mark.parametrize("nonlinearity", list(TORCH_ACTIVATIONS))
@pytest.mark.parametrize("sizes", [(6, 6, 6, 6, 6), (4, 7, 5, 3)])
def test_jacobian_spectra_are_autograds_jacobian_and_its_singular_values(nonlinearity, sizes):
    weights = chain_weights(sizes, seed=len(sizes))
    x = torch.randn(sizes[0], generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 2
    spectra, J = init.jacobian_spectra(weights, nonlinearity, x)
    assert list(spectra) == list(range(1, len(weights) + 1))  # every depth by default
    auto = torch.autograd.functional.jacobian(stack(weights, nonlinearity), x)
    assert J.shape == (sizes[-1], sizes[0]) and (J - auto).abs().max() < 1e-10
    for depth, s in spectra.items():
        at_depth = torch.autograd.functional.jacobian(stack(weights[:depth], nonlinearity), x)
        expected = torch.linalg.svdvals(at_depth)
        assert s.shape == expected.shape == (min(sizes[depth], sizes[0]),)
        assert (s - expected).abs().max() < 1e-10
        assert torch.equal(s, s.sort(descending=True).values)  # largest first
    assert list(init.jacobian_spectra(weights, nonlinearity, x, depths=(3, 1))[0]) == [3, 1]


def test_jacobian_spectra_of_orthogonal_weights_times_a_gain_are_the_gain_to_the_depth():
    # A linear stack anywhere, and tanh at x = 0 (every z_l = 0, so every D_l = I): J = g^L Q_L ... Q_1.
    weights = [init.orthogonal_(torch.empty(8, 8, dtype=torch.float64), 1.5, torch.Generator().manual_seed(k))
               for k in range(6)]
    for nonlinearity, x in (("linear", torch.ones(8, dtype=torch.float64)),
                            ("tanh", torch.zeros(8, dtype=torch.float64))):
        spectra, _ = init.jacobian_spectra(weights, nonlinearity, x)
        assert all((s - 1.5**depth).abs().max() < 1e-12 * 1.5**depth for depth, s in spectra.items())


@pytest.mark.parametrize("nonlinearity", ["tanh", "sigmoid"])
def test_jacobian_products_from_the_input_and_from_the_output_are_the_chains_jacobians(nonlinearity):
    weights = chain_weights((5, 4, 6, 3, 4), seed=3)
    x = torch.randn(5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    f = TORCH_ACTIVATIONS[nonlinearity]
    hs, derivatives = [x], []
    for w in weights:
        hs.append(f(w @ hs[-1]))
        derivatives.append(torch.func.grad(lambda z: f(z).sum())(w @ hs[-2]))  # f'(z_l), elementwise
    products = init.jacobian_products(weights, derivatives)
    from_top = init.jacobian_products(weights, derivatives, from_output=True)
    L = len(weights)
    for depth in range(1, L + 1):  # P_l = dh_l / dh_0
        expected = torch.autograd.functional.jacobian(stack(weights[:depth], nonlinearity), x)
        assert (products[depth - 1] - expected).abs().max() < 1e-10
    for k in range(1, L + 1):  # Q_k = dh_L / dh_(L-k)
        expected = torch.autograd.functional.jacobian(stack(weights[L - k:], nonlinearity), hs[L - k])
        assert from_top[k - 1].shape == expected.shape and (from_top[k - 1] - expected).abs().max() < 1e-10
    assert (from_top[-1] - products[-1]).abs().max() < 1e-12  # the whole chain, multiplied either way


def test_jacobian_products_with_one_matrix_use_it_at_every_layer():
    w = chain_weights((4, 4), seed=5)[0]
    d = torch.rand(7, 4, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    shared = init.jacobian_products(w, d)
    repeated = init.jacobian_products([w] * 7, list(d))
    assert len(shared) == 7 and all(torch.equal(a, b) for a, b in zip(shared, repeated, strict=True))
    expected = torch.eye(4, dtype=torch.float64)
    for row in d:
        expected = torch.diag(row) @ w @ expected
    assert (shared[-1] - expected).abs().max() < 1e-12


W3 = torch.eye(3, dtype=torch.float64)
X3 = torch.ones(3, dtype=torch.float64)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: init.jacobian_spectra([W3], "swish", X3), ValueError, "nonlinearity must be one of"),
        (lambda: init.jacobian_spectra([], "tanh", X3), TypeError, "weights must be a matrix or a non-empty"),
        (lambda: init.jacobian_spectra("W", "tanh", X3), TypeError, "weights must be a matrix"),
        (lambda: init.jacobian_spectra([W3, torch.ones(3)], "tanh", X3), ValueError,
         r"weights\[1\] must be a matrix \(2-D\), got shape \(3,\)"),
        (lambda: init.jacobian_spectra([W3.long()], "tanh", X3), TypeError,
         r"weights\[0\] must be a floating"),
        (lambda: init.jacobian_spectra([W3], "tanh", torch.ones(4, dtype=torch.float64)), ValueError,
         r"x must be a vector of the 3 columns of weights\[0\]"),
        (lambda: init.jacobian_spectra([W3], "tanh", X3.float()), ValueError, "x must be a vector .*float64"),
        (lambda: init.jacobian_spectra([W3], "tanh", [1.0, 1.0, 1.0]), TypeError, "x must be a torch.Tensor"),
        (lambda: init.jacobian_spectra([W3, W3], "tanh", X3, depths=[3]), ValueError,
         "depths must be between 1 and the number of layers, 2, got 3"),
        (lambda: init.jacobian_spectra([W3], "tanh", X3, depths=[0]), ValueError,
         "depths must be a positive int"),
        (lambda: init.jacobian_spectra([W3, torch.ones(2, 4, dtype=torch.float64)], "tanh", X3), ValueError,
         r"weights\[1\] must have 3 columns"),
        (lambda: init.jacobian_products([W3, W3], [X3]), ValueError,
         "weights and derivatives must have one entry per layer, got 2 and 1"),
        (lambda: init.jacobian_products([W3], X3), TypeError, r"derivatives must be a tensor \(L, n\)"),
        (lambda: init.jacobian_products([W3], []), TypeError, "derivatives must be .*non-empty"),
        (lambda: init.jacobian_products([W3], [torch.ones(2, dtype=torch.float64)]), ValueError,
         r"derivatives\[0\] must be a vector of the 3 rows of weights\[0\]"),
        (lambda: init.jacobian_products([W3], [X3.float()]), ValueError, r"derivatives\[0\] .*float32"),
        (lambda: init.jacobian_products(torch.ones(2, 3, dtype=torch.float64), [X3[:2], X3[:2]]), ValueError,
         "one matrix used at every layer must be square"),
    ],
)
def test_jacobian_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
