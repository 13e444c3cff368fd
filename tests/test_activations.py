"""Tests of nnbasics.activations against torch.nn.functional and torch.nn."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from conftest import TOL, dtypes, random_tensor, seeds, shapes
from hypothesis import given
from torch import nn

from nnbasics import activations as A

# (our function, torch's function, keyword arguments) for every activation and option.
ELEMENTWISE = [
    ("sigmoid", A.sigmoid, torch.sigmoid, {}),
    ("tanh", A.tanh, torch.tanh, {}),
    ("relu", A.relu, F.relu, {}),
    ("leaky_relu", A.leaky_relu, F.leaky_relu, {}),
    ("leaky_relu_0.2", A.leaky_relu, F.leaky_relu, {"negative_slope": 0.2}),
    ("elu", A.elu, F.elu, {}),
    ("elu_0.5", A.elu, F.elu, {"alpha": 0.5}),
    ("gelu", A.gelu, F.gelu, {}),
    ("gelu_tanh", A.gelu, F.gelu, {"approximate": "tanh"}),
    ("silu", A.silu, F.silu, {}),
    ("softplus", A.softplus, F.softplus, {}),
    ("softplus_beta2_t5", A.softplus, F.softplus, {"beta": 2.0, "threshold": 5.0}),
    ("softplus_beta-1.5", A.softplus, F.softplus, {"beta": -1.5}),
]
ALONG_DIM = [
    ("softmax", A.softmax, F.softmax),
    ("log_softmax", A.log_softmax, F.log_softmax),
]


def value_and_grad(fn, x, upstream, **kwargs):
    """fn(x) and d<fn(x), upstream>/dx, through whatever backward fn has."""
    x = x.detach().clone().requires_grad_(True)
    y = fn(x, **kwargs)
    (grad,) = torch.autograd.grad(y, x, upstream)
    return y.detach(), grad


def assert_matches_torch(ours, theirs, x, **kwargs):
    upstream = random_tensor(x.shape, x.dtype, seed=1234, scale=1.0)
    y, gx = value_and_grad(ours, x, upstream, **kwargs)
    y_ref, gx_ref = value_and_grad(theirs, x, upstream, **kwargs)
    torch.testing.assert_close(y, y_ref, **TOL[x.dtype])
    torch.testing.assert_close(gx, gx_ref, **TOL[x.dtype])


@pytest.mark.parametrize(("name", "ours", "theirs", "kwargs"), ELEMENTWISE, ids=lambda v: "")
@given(shape=shapes, dtype=dtypes, seed=seeds)
def test_elementwise_matches_torch(name, ours, theirs, kwargs, shape, dtype, seed):
    assert_matches_torch(ours, theirs, random_tensor(shape, dtype, seed), **kwargs)


@pytest.mark.parametrize(("name", "ours", "theirs"), ALONG_DIM, ids=lambda v: "")
@given(shape=shapes, dtype=dtypes, seed=seeds, data=__import__("hypothesis").strategies.data())
def test_along_dim_matches_torch(name, ours, theirs, shape, dtype, seed, data):
    size = max(len(shape), 1)
    dim = data.draw(__import__("hypothesis").strategies.integers(-size, size - 1), label="dim")
    assert_matches_torch(ours, theirs, random_tensor(shape, dtype, seed), dim=dim)


@pytest.mark.parametrize(("name", "fn", "_", "kwargs"), ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_gradcheck(name, fn, _, kwargs):
    x = random_tensor((3, 4), torch.float64, seed=7).requires_grad_(True)
    if "relu" in name:  # keep finite differences away from the kink at 0
        x = (x.detach() + 0.1 * torch.sign(x.detach())).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: fn(t, **kwargs), (x,))
    assert torch.autograd.gradgradcheck(lambda t: fn(t, **kwargs), (x,))


@pytest.mark.parametrize(("name", "fn", "_"), ALONG_DIM, ids=[e[0] for e in ALONG_DIM])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_along_dim_gradcheck(name, fn, _, dim):
    x = random_tensor((3, 4, 2), torch.float64, seed=8).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: fn(t, dim=dim), (x,))
    assert torch.autograd.gradgradcheck(lambda t: fn(t, dim=dim), (x,))


# --- Worked examples and exact values --------------------------------------------------------

SCORES = [0.2, 0.02, 0.15, 0.15, 1.3, 0.5, 0.06, 1.1, 0.05, 3.75]


def test_softmax_of_the_chapter_scores():
    p = A.softmax(torch.tensor(SCORES, dtype=torch.float64), dim=0)
    expected = torch.exp(torch.tensor(SCORES, dtype=torch.float64))
    expected = expected / expected.sum()
    torch.testing.assert_close(p, expected, rtol=1e-14, atol=0)
    assert p.sum().item() == pytest.approx(1.0, abs=1e-15)
    # The four-decimal values printed in the chapter.
    assert [round(v, 4) for v in p.tolist()] == [
        0.0212, 0.0177, 0.0202, 0.0202, 0.0638, 0.0287, 0.0185, 0.0522, 0.0183, 0.7392,
    ]


def test_classic_values():
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(A.sigmoid(torch.zeros(1)), torch.tensor([0.5]), rtol=0, atol=0)
    torch.testing.assert_close(A.relu(x), torch.tensor([0.0, 0.0, 2.0], dtype=torch.float64))
    torch.testing.assert_close(A.leaky_relu(x, 0.1), torch.tensor([-0.1, 0.0, 2.0]).double())
    torch.testing.assert_close(A.tanh(torch.tensor([0.0]).double()), torch.tensor([0.0]).double())
    # ELU(-1) = e^{-1} - 1, GELU(x) = x Φ(x) with Φ(0) = 1/2.
    assert A.elu(x)[0].item() == pytest.approx(0.36787944117144233 - 1.0, rel=1e-15)
    assert A.gelu(torch.tensor([2.0]).double()).item() == pytest.approx(1.9544997361036416)
    assert A.softplus(torch.zeros(1).double()).item() == pytest.approx(0.6931471805599453)


def test_sigmoid_derivative_is_at_most_a_quarter():
    x = torch.linspace(-10, 10, 2001, dtype=torch.float64, requires_grad=True)
    A.sigmoid(x).sum().backward()
    assert x.grad.max().item() == pytest.approx(0.25, abs=1e-12)
    assert x.grad.argmax().item() == 1000  # at x = 0


def test_tanh_is_accurate_near_zero():
    x = torch.tensor([1e-8, 1e-4, -3e-6], dtype=torch.float32)
    torch.testing.assert_close(A.tanh(x), torch.tanh(x), rtol=1e-6, atol=0)


# --- Numerical stability -----------------------------------------------------------------------

EXTREME = [-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0]
STABLE = [e for e in ELEMENTWISE if e[0] in ("sigmoid", "tanh", "softplus", "silu", "elu", "gelu")]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "ours", "theirs", "kwargs"), STABLE, ids=[e[0] for e in STABLE])
def test_elementwise_stable_at_1000(name, ours, theirs, kwargs, dtype):
    x = torch.tensor(EXTREME, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, g = value_and_grad(ours, x, torch.ones_like(x), **kwargs)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    y_ref, g_ref = value_and_grad(theirs, x, torch.ones_like(x), **kwargs)
    torch.testing.assert_close(y, y_ref, **TOL[dtype])
    torch.testing.assert_close(g, g_ref, **TOL[dtype])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "ours", "theirs"), ALONG_DIM, ids=[e[0] for e in ALONG_DIM])
def test_softmax_stable_at_1000(name, ours, theirs, dtype):
    x = torch.tensor([[1000.0, 999.0, -1000.0], [-1000.0, -1000.0, -999.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, g = value_and_grad(ours, x, torch.ones_like(x), dim=1)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    y_ref, g_ref = value_and_grad(theirs, x, torch.ones_like(x), dim=1)
    torch.testing.assert_close(y, y_ref, **TOL[dtype])
    torch.testing.assert_close(g, g_ref, **TOL[dtype])


def test_naive_softmax_overflows_where_ours_does_not():
    x = torch.tensor(SCORES) * 1000  # float32: exp(3750) overflows
    naive = torch.exp(x) / torch.exp(x).sum()
    assert torch.isnan(naive).any()
    assert torch.isfinite(A.softmax(x, dim=0)).all()


# --- Module classes ------------------------------------------------------------------------------

MODULES = [
    (A.Sigmoid(), nn.Sigmoid()),
    (A.Tanh(), nn.Tanh()),
    (A.ReLU(), nn.ReLU()),
    (A.LeakyReLU(0.3), nn.LeakyReLU(0.3)),
    (A.ELU(0.7), nn.ELU(0.7)),
    (A.GELU("tanh"), nn.GELU("tanh")),
    (A.SiLU(), nn.SiLU()),
    (A.Softplus(2.0, 10.0), nn.Softplus(2.0, 10.0)),
    (A.Softmax(dim=1), nn.Softmax(dim=1)),
    (A.LogSoftmax(dim=-1), nn.LogSoftmax(dim=-1)),
]


@pytest.mark.parametrize(("ours", "theirs"), MODULES, ids=[type(m[0]).__name__ for m in MODULES])
def test_module_matches_torch_module(ours, theirs):
    x = random_tensor((5, 3), torch.float64, seed=3)
    assert_matches_torch(ours, theirs, x)
    assert repr(ours) == repr(theirs)  # same name and same extra_repr


def test_modules_swap_into_a_torch_network():
    torch.manual_seed(0)
    ours = nn.Sequential(nn.Linear(4, 8), A.ReLU(), nn.Linear(8, 3), A.LogSoftmax(dim=1))
    torch.manual_seed(0)
    theirs = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.LogSoftmax(dim=1))
    x = random_tensor((6, 4), torch.float32, seed=5)
    ours(x).sum().backward()
    theirs(x).sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad)


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: A.sigmoid([1.0, 2.0]), TypeError, "input must be a torch.Tensor, got list"),
        (lambda: A.relu(torch.tensor([1, 2])), TypeError, "floating-point tensor.*torch.int64"),
        (lambda: A.softmax(torch.ones(2, 3), dim=2), ValueError, r"dim must be in \[-2, 1\]"),
        (lambda: A.log_softmax(torch.ones(3), dim=-2), IndexError, r"for a 1-D input, got -2"),
        (lambda: A.softmax(torch.ones(3)), TypeError, "dim must be given"),
        (lambda: A.softmax(torch.ones(3), dim=1.0), TypeError, "dim must be an int, got float"),
        (lambda: A.softmax(torch.ones(3), 0, torch.int32), TypeError, "dtype must be a floating"),
        (lambda: A.elu(torch.ones(3), alpha=-1.0), ValueError, "alpha must be >= 0.0, got -1.0"),
        (lambda: A.ELU(alpha=-0.5), ValueError, "alpha must be >= 0.0"),
        (lambda: A.leaky_relu(torch.ones(3), "0.1"), TypeError, "negative_slope must be a real"),
        (lambda: A.gelu(torch.ones(3), "erf"), ValueError, "approximate must be one of 'none'"),
        (lambda: A.softplus(torch.ones(3), beta=0), ValueError, "beta must be non-zero"),
        (lambda: A.Softplus(threshold=float("nan")), ValueError, "threshold must be finite"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dtype_argument_casts_before_softmax():
    x = torch.tensor([1.0, 2.0, 3.0])
    y = A.softmax(x, dim=0, dtype=torch.float64)
    assert y.dtype == torch.float64
    torch.testing.assert_close(y, F.softmax(x, dim=0, dtype=torch.float64))


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.1, 0.2, 1 / 3, 0.7])
def test_leaky_relu_is_bit_for_bit_torchs(slope):
    x = random_tensor((1000,), torch.float32, 7).requires_grad_(True)
    x_torch = x.detach().clone().requires_grad_(True)
    ours, theirs = A.leaky_relu(x, slope), torch.nn.functional.leaky_relu(x_torch, slope)
    g = random_tensor((1000,), torch.float32, 8)
    ours.backward(g)
    theirs.backward(g)
    assert torch.equal(ours, theirs) and torch.equal(x.grad, x_torch.grad)


@pytest.mark.parametrize("name, ours, theirs, kwargs", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_infinities_and_nan_match_torch(name, ours, theirs, kwargs):
    # relu(-inf) is 0 (a derivative-times-x trick would give 0 * -inf = NaN), and the gradient
    # at a NaN input is whatever torch gives (relu lets it through, elu gives NaN). Torch's elu
    # backward gives NaN at NaN in its vectorized CPU loop but lets the gradient through in the
    # scalar loop over a tensor's last few elements: 384 elements (a multiple of every SIMD
    # width) keep every element in the vectorized loop, on any CPU.
    x = torch.tensor([-math.inf, -1.0, 0.0, 1.0, math.inf, math.nan], dtype=torch.float64).repeat(64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = ours(x1, **kwargs), theirs(x2, **kwargs)
    torch.testing.assert_close(y1, y2, equal_nan=True)
    y1.backward(torch.ones_like(y1))
    y2.backward(torch.ones_like(y2))
    torch.testing.assert_close(x1.grad, x2.grad, equal_nan=True)


@pytest.mark.parametrize("fn, theirs", [(A.softmax, F.softmax), (A.log_softmax, F.log_softmax)])
@pytest.mark.parametrize("shape, dim", [((3, 0), 1), ((0, 3), 1), ((0,), 0)])
def test_softmax_over_an_empty_dim_works_like_torch(fn, theirs, shape, dim):
    x = torch.zeros(shape, requires_grad=True)
    y = fn(x, dim)
    assert y.shape == theirs(x, dim).shape
    y.sum().backward()
    assert x.grad.shape == x.shape


@pytest.mark.parametrize(("name", "kwargs"), [("relu", {}), ("elu", {"alpha": 0.7}),
                                              ("leaky_relu", {"negative_slope": 0.2}), ("silu", {})])
def test_inplace_writes_into_the_input_and_backpropagates_like_torch(name, kwargs):
    def run(fn):
        x = torch.randn(6, dtype=torch.float64, generator=torch.Generator().manual_seed(1),
                        requires_grad=True)
        hidden = 2.0 * x  # a non-leaf, as torch requires for an in-place op under autograd
        out = fn(hidden, inplace=True, **kwargs)
        assert out is hidden
        (out * torch.arange(6.0, dtype=torch.float64)).sum().backward()
        return out.detach(), x.grad

    ours, theirs = run(getattr(A, name)), run(getattr(F, name))
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b)
    module = {"relu": A.ReLU, "elu": A.ELU, "leaky_relu": A.LeakyReLU, "silu": A.SiLU}[name](inplace=True)
    y = torch.randn(4, dtype=torch.float64)
    expected = getattr(F, name)(y)  # the module's defaults are torch's
    assert module(y) is y and "inplace=True" in repr(module)
    torch.testing.assert_close(y, expected)


def test_relu_equals_its_former_where_version_and_differs_from_torch_only_on_non_finite_gradients():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.tensor([-math.inf, -1.0, -0.0, 0.0, 1.0, math.inf, math.nan]),
                   torch.randn(10_000, generator=g)]).requires_grad_()
    grad = torch.randn(x.shape, generator=g)
    y = A.relu(x)
    y.backward(grad)
    off = x.detach() <= 0  # before 7 December 2026: torch.where(off, 0.0, x) and torch.where(off, 0.0, grad)
    assert torch.equal(y.detach().nan_to_num(7.0), torch.where(off, 0.0, x.detach()).nan_to_num(7.0))
    assert torch.equal(x.grad, torch.where(off, 0.0, grad))
    # the documented difference: the backward multiplies by the mask, torch selects
    z = torch.tensor([-1.0, -1.0, 2.0], requires_grad=True)
    z_torch = z.detach().clone().requires_grad_()
    upstream = torch.tensor([math.inf, math.nan, 1.0])
    A.relu(z).backward(upstream)
    torch.relu(z_torch).backward(upstream)
    assert z.grad.isnan().tolist() == [True, True, False] and z_torch.grad.tolist() == [0.0, 0.0, 1.0]
