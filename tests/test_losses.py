"""Tests of nnbasics.losses against torch.nn.functional and torch.nn, and NumPy for MSLE/MAPE."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import TOL, dtypes, random_tensor, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnbasics import losses as L

REDUCTIONS = ["none", "mean", "sum"]


def run(fn, x, y, upstream_seed=99, target_grad=True, **kwargs):
    """fn(x, y) and the gradients of <fn, upstream> w.r.t. x (and a float target y)."""
    x = x.detach().clone().requires_grad_(True)
    if isinstance(y, torch.Tensor):
        y = y.detach().clone().requires_grad_(target_grad and y.is_floating_point())
    out = fn(x, y, **kwargs)
    upstream = random_tensor(out.shape, out.dtype, upstream_seed, scale=1.0)
    inputs = [x] + ([y] if isinstance(y, torch.Tensor) and y.requires_grad else [])
    grads = torch.autograd.grad(out, inputs, upstream, allow_unused=True)
    return out.detach(), grads


def assert_same(ours, theirs, x, y, dtype, target_grad=True, **kwargs):
    o_out, o_grads = run(ours, x, y, target_grad=target_grad, **kwargs)
    t_out, t_grads = run(theirs, x, y, target_grad=target_grad, **kwargs)
    torch.testing.assert_close(o_out, t_out, **TOL[dtype])
    for a, b in zip(o_grads, t_grads, strict=True):
        if b is None:
            continue
        torch.testing.assert_close(a, b, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)


REGRESSION = [
    (L.mse_loss, F.mse_loss, {}),
    (L.l1_loss, F.l1_loss, {}),
    (L.smooth_l1_loss, F.smooth_l1_loss, {}),
    (L.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.5}),
    (L.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.0}),
    (L.huber_loss, F.huber_loss, {}),
    (L.huber_loss, F.huber_loss, {"delta": 2.5}),
]


@pytest.mark.parametrize(("ours", "theirs", "kwargs"), REGRESSION,
                         ids=[f"{o.__name__}{k}" for o, _, k in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, dtype=dtypes, seed=seeds)
def test_regression_losses_match_torch(ours, theirs, kwargs, reduction, shape, dtype, seed):
    x, y = random_tensor(shape, dtype, seed), random_tensor(shape, dtype, seed + 1)
    assert_same(ours, theirs, x, y, dtype, reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, dtype=dtypes, seed=seeds, with_weight=st.booleans())
def test_bce_matches_torch(reduction, shape, dtype, seed, with_weight):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g, dtype=torch.float64).mul(0.98).add(0.01).to(dtype)
    y = torch.rand(shape, generator=g, dtype=torch.float64).to(dtype)
    w = torch.rand(shape, generator=g, dtype=torch.float64).to(dtype) if with_weight else None
    assert_same(L.binary_cross_entropy, F.binary_cross_entropy, x, y, dtype, weight=w, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(dtype=dtypes, seed=seeds, n=st.integers(1, 5), c=st.integers(1, 4), with_weight=st.booleans(),
       with_pos=st.booleans())
def test_bce_with_logits_matches_torch(reduction, dtype, seed, n, c, with_weight, with_pos):
    g = torch.Generator().manual_seed(seed)
    x = random_tensor((n, c), dtype, seed)
    y = torch.rand(n, c, generator=g, dtype=torch.float64).to(dtype)
    w = torch.rand(n, c, generator=g, dtype=torch.float64).to(dtype) if with_weight else None
    p = torch.rand(c, generator=g, dtype=torch.float64).mul(3).to(dtype) if with_pos else None
    assert_same(L.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, x, y, dtype,
                weight=w, pos_weight=p, reduction=reduction)


ce_shapes = st.tuples(st.integers(1, 5), st.integers(1, 5), st.lists(st.integers(1, 3), max_size=2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(dims=ce_shapes, dtype=dtypes, seed=seeds, with_weight=st.booleans(), ignore=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.1, 0.3]))
def test_cross_entropy_with_class_indices_matches_torch(reduction, dims, dtype, seed, with_weight,
                                                         ignore, smoothing):
    n, c, extra = dims
    g = torch.Generator().manual_seed(seed)
    x = random_tensor((n, c, *extra), dtype, seed)
    y = torch.randint(0, c, (n, *extra), generator=g)
    if ignore:
        y.view(-1)[0] = -100
        if y.numel() == 1 and reduction == "mean":
            y.view(-1)[0] = 0  # all targets ignored: both give nan
    w = torch.rand(c, generator=g, dtype=torch.float64).add(0.1).to(dtype) if with_weight else None
    assert_same(L.cross_entropy, F.cross_entropy, x, y, dtype, weight=w, reduction=reduction,
                label_smoothing=smoothing)
    assert_same(lambda a, b, **k: L.nll_loss(F.log_softmax(a, 1), b, **k),
                lambda a, b, **k: F.nll_loss(F.log_softmax(a, 1), b, **k), x, y, dtype,
                weight=w, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(dims=ce_shapes, dtype=dtypes, seed=seeds, with_weight=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.2]))
def test_cross_entropy_with_probability_targets_matches_torch(reduction, dims, dtype, seed, with_weight,
                                                               smoothing):
    n, c, extra = dims
    g = torch.Generator().manual_seed(seed)
    x = random_tensor((n, c, *extra), dtype, seed)
    y = torch.softmax(random_tensor((n, c, *extra), torch.float64, seed + 1), dim=1).to(dtype)
    w = torch.rand(c, generator=g, dtype=torch.float64).add(0.1).to(dtype) if with_weight else None
    o, _ = run(L.cross_entropy, x, y, weight=w, reduction=reduction, label_smoothing=smoothing)
    t, _ = run(F.cross_entropy, x, y, weight=w, reduction=reduction, label_smoothing=smoothing)
    torch.testing.assert_close(o, t, **TOL[dtype])
    xs = x.clone().requires_grad_(True)
    ours = L.cross_entropy(xs, y, weight=w, reduction=reduction, label_smoothing=smoothing)
    (gx,) = torch.autograd.grad(ours.sum(), xs)
    xt = x.clone().requires_grad_(True)
    (gt,) = torch.autograd.grad(F.cross_entropy(xt, y, weight=w, reduction=reduction,
                                                label_smoothing=smoothing).sum(), xt)
    torch.testing.assert_close(gx, gt, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
@pytest.mark.parametrize("reduction", ["none", "batchmean", "mean", "sum"])
@pytest.mark.parametrize("log_target", [False, True])
@given(dtype=dtypes, seed=seeds, n=st.integers(1, 4), c=st.integers(2, 5))
def test_kl_div_matches_torch(reduction, log_target, dtype, seed, n, c):
    x = F.log_softmax(random_tensor((n, c), dtype, seed), dim=1)
    p = torch.softmax(random_tensor((n, c), torch.float64, seed + 1), dim=1)
    y = (torch.log(p) if log_target else p).to(dtype)
    assert_same(L.kl_div, F.kl_div, x, y, dtype, reduction=reduction, log_target=log_target)
    if not log_target:  # a zero probability contributes 0 (its target gradient, -inf, is not compared)
        p[0, 0] = 0.0
        assert_same(L.kl_div, F.kl_div, x, p.to(dtype), dtype, target_grad=False, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, dtype=dtypes, seed=seeds, margin=st.sampled_from([0.5, 1.0, 2.0]))
def test_hinge_embedding_loss_matches_torch(reduction, shape, dtype, seed, margin):
    x = random_tensor(shape, dtype, seed)
    y = torch.where(random_tensor(shape, torch.float64, seed + 1) > 0, 1.0, -1.0).to(dtype)
    o, (go,) = run(L.hinge_embedding_loss, x, y.long(), margin=margin, reduction=reduction)
    t, (gt,) = run(F.hinge_embedding_loss, x, y.long(), margin=margin, reduction=reduction)
    torch.testing.assert_close(o, t, **TOL[dtype])
    torch.testing.assert_close(go, gt, **TOL[dtype])


@pytest.mark.parametrize("fn", [L.msle, L.mape])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_msle_and_mape_equal_a_direct_numpy_formula(fn, reduction):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, dtype=torch.float64, generator=g).mul(3)
    y = torch.randn(50, dtype=torch.float64, generator=g).mul(3)
    y[0] = 0.0  # exercise the clipping
    xn, yn = x.numpy(), y.numpy()
    if fn is L.msle:
        elem = (np.log(np.clip(xn, 1e-7, None) + 1) - np.log(np.clip(yn, 1e-7, None) + 1)) ** 2
    else:
        elem = 100 * np.abs((yn - xn) / np.clip(np.abs(yn), 1e-7, None))
    expected = {"none": elem, "mean": elem.mean(), "sum": elem.sum()}[reduction]
    np.testing.assert_allclose(fn(x, y, reduction=reduction).numpy(), expected, rtol=1e-12)
    xg = (x.abs() + 0.5).requires_grad_(True)  # away from the clipping kink
    assert torch.autograd.gradcheck(lambda t: fn(t, y.abs() + 0.5, reduction=reduction), (xg,))


# --- gradcheck in float64 --------------------------------------------------------------------


def gradcheck_cases():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(4, 3, dtype=torch.float64, generator=g)
    y = torch.randn(4, 3, dtype=torch.float64, generator=g)
    prob = torch.rand(4, 3, dtype=torch.float64, generator=g).mul(0.8).add(0.1)
    cls = torch.tensor([0, 2, 1, 2])
    w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    return [
        ("mse", lambda t: L.mse_loss(t, y), x), ("l1", lambda t: L.l1_loss(t, y), x),
        ("smooth_l1", lambda t: L.smooth_l1_loss(t, y, beta=0.7), x),
        ("huber", lambda t: L.huber_loss(t, y, delta=0.7), x),
        ("bce", lambda t: L.binary_cross_entropy(t, prob.flip(0), weight=w), prob),
        ("bce_logits", lambda t: L.binary_cross_entropy_with_logits(t, prob, pos_weight=w), x),
        ("cross_entropy", lambda t: L.cross_entropy(t, cls, weight=w, label_smoothing=0.1), x),
        ("cross_entropy_prob", lambda t: L.cross_entropy(t, torch.softmax(y, 1)), x),
        ("nll", lambda t: L.nll_loss(t, cls, weight=w, reduction="sum"), x),
        ("kl_div", lambda t: L.kl_div(t, torch.softmax(y, 1), reduction="batchmean"), x),
        ("hinge", lambda t: L.hinge_embedding_loss(t, torch.tensor([[1, -1, 1]] * 4), margin=0.3), x),
        ("mse_target", lambda t: L.mse_loss(x, t), y),
        ("bce_target", lambda t: L.binary_cross_entropy(prob, t), prob.flip(0)),
        ("kl_target", lambda t: L.kl_div(x, t, log_target=True), y),
    ]


@pytest.mark.parametrize(("name", "fn", "x"), gradcheck_cases(), ids=[c[0] for c in gradcheck_cases()])
def test_gradcheck(name, fn, x):
    assert torch.autograd.gradcheck(fn, (x.clone().requires_grad_(True),))


# --- Worked examples, weighted mean, ignore_index, stability -----------------------------------


def test_worked_examples():
    ce = L.cross_entropy(torch.tensor([[0.2, 0.6, 0.2], [0.1, 0.8, 0.1]]), torch.tensor([1, 2]))
    by_hand = -(np.log(np.exp(0.6) / (2 * np.exp(0.2) + np.exp(0.6)))
                + np.log(np.exp(0.1) / (2 * np.exp(0.1) + np.exp(0.8)))) / 2
    assert ce.item() == pytest.approx(by_hand, rel=1e-6)
    bce = L.binary_cross_entropy(torch.tensor([0.6901, 0.5459, 0.2469]), torch.tensor([0.0, 1.0, 0.0]))
    assert bce.item() == pytest.approx(-(np.log(1 - 0.6901) + np.log(0.5459) + np.log(1 - 0.2469)) / 3,
                                       rel=1e-6)
    a, b = torch.tensor([1.0, 1.0, 1.9]), torch.tensor([2.0, 2.0, 2.0])
    assert L.l1_loss(a, b).item() == pytest.approx(2.1 / 3)
    assert L.mse_loss(a, b).item() == pytest.approx(2.01 / 3)
    # |0.6 - 0| < 1: 0.5 * 0.36 = 0.18; |0.4 - 3| = 2.6 >= 1: 2.6 - 0.5 = 2.1; mean 1.14
    assert L.smooth_l1_loss(torch.tensor([0.6, 0.4]), torch.tensor([0.0, 3.0])).item() == pytest.approx(1.14)


def test_weighted_mean_divides_by_the_sum_of_target_weights():
    x = torch.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    y = torch.tensor([0, 1, 1, 2])
    w = torch.tensor([1.0, 2.0, 3.0])
    per_sample = L.cross_entropy(x, y, reduction="none")
    expected = (w[y] * per_sample).sum() / w[y].sum()  # (1 + 2 + 2 + 3) = 8, not N = 4
    torch.testing.assert_close(L.cross_entropy(x, y, weight=w), expected)
    torch.testing.assert_close(L.CrossEntropyLoss(weight=w)(x, y), nn.CrossEntropyLoss(weight=w)(x, y))
    assert not torch.isclose(L.cross_entropy(x, y, weight=w), (w[y] * per_sample).sum() / 4)


def test_ignore_index_drops_samples_from_loss_and_denominator():
    x = random_tensor((5, 4), torch.float64, 0)
    y = torch.tensor([1, 7, 2, 7, 0])
    kept = y != 7
    torch.testing.assert_close(L.cross_entropy(x, y, ignore_index=7), L.cross_entropy(x[kept], y[kept]))
    xs = x.clone().requires_grad_(True)
    L.cross_entropy(xs, y, ignore_index=7).backward()
    assert torch.all(xs.grad[~kept] == 0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_stable_at_logits_of_1000(dtype):
    x = torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=dtype)
    y = torch.tensor([0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours, (gx,) = run(L.cross_entropy, x, y, target_grad=False, reduction="none")
    theirs, (gt,) = run(F.cross_entropy, x, y, target_grad=False, reduction="none")
    assert torch.isfinite(ours).all() and torch.isfinite(gx).all()
    torch.testing.assert_close(ours, torch.tensor([0.0, 1.0 + float(np.log1p(np.exp(-1.0)))], dtype=dtype))
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(gx, gt)
    z = torch.tensor([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype)
    t = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    ours, (gz,) = run(L.binary_cross_entropy_with_logits, z, t, target_grad=False, reduction="none")
    torch.testing.assert_close(ours, torch.tensor([0.0, 0.0, 1000.0, 1000.0], dtype=dtype))
    _, (gz_torch,) = run(F.binary_cross_entropy_with_logits, z, t, target_grad=False, reduction="none")
    torch.testing.assert_close(gz, gz_torch)


MODULES = [
    (L.MSELoss(), nn.MSELoss()), (L.L1Loss(reduction="sum"), nn.L1Loss(reduction="sum")),
    (L.SmoothL1Loss(beta=0.5), nn.SmoothL1Loss(beta=0.5)), (L.HuberLoss(delta=2.0), nn.HuberLoss(delta=2.0)),
    (L.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 1.0, 0.5])),
     nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 1.0, 0.5]))),
]


@pytest.mark.parametrize(("ours", "theirs"), MODULES, ids=[type(m[0]).__name__ for m in MODULES])
def test_module_classes_match_torch(ours, theirs):
    x = random_tensor((4, 3), torch.float32, 1)
    y = torch.rand(4, 3, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(ours(x, y), theirs(x, y))
    assert set(ours.state_dict()) == set(theirs.state_dict())


def test_classification_module_classes_match_torch():
    x = random_tensor((6, 4), torch.float32, 3)
    y = torch.tensor([0, 1, 2, 3, 1, -100])
    w = torch.tensor([1.0, 0.5, 2.0, 1.0])
    torch.testing.assert_close(L.CrossEntropyLoss(w, label_smoothing=0.1)(x, y),
                               nn.CrossEntropyLoss(w, label_smoothing=0.1)(x, y))
    torch.testing.assert_close(L.NLLLoss(w)(F.log_softmax(x, 1), y), nn.NLLLoss(w)(F.log_softmax(x, 1), y))
    p = torch.rand(6, 4)
    torch.testing.assert_close(L.BCELoss()(torch.sigmoid(x), p), nn.BCELoss()(torch.sigmoid(x), p))
    log_q, p = F.log_softmax(x, 1), torch.softmax(x.flip(0), 1)
    expected = nn.KLDivLoss(reduction="batchmean")(log_q, p)
    torch.testing.assert_close(L.KLDivLoss("batchmean")(log_q, p), expected)
    t = torch.tensor([1, -1, 1, -1])
    torch.testing.assert_close(L.HingeEmbeddingLoss(0.5)(x[0], t), nn.HingeEmbeddingLoss(0.5)(x[0], t))


def test_log_softmax_plus_nll_equals_cross_entropy():
    x = random_tensor((7, 5), torch.float64, 4)
    y = torch.randint(0, 5, (7,), generator=torch.Generator().manual_seed(0))
    from nnbasics.activations import log_softmax
    torch.testing.assert_close(L.nll_loss(log_softmax(x, dim=1), y), L.cross_entropy(x, y))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: L.mse_loss(torch.ones(3), torch.ones(3, 1)), ValueError,
         r"input and target must have the same shape, got \(3,\) and \(3, 1\)"),
        (lambda: L.cross_entropy(torch.ones(2, 3), torch.tensor([0.0, 1.0])), TypeError,
         "class indices must be integers"),
        (lambda: L.cross_entropy(torch.ones(2, 3), torch.tensor([0, 3])), ValueError,
         r"target class indices must be in \[0, 2\]"),
        (lambda: L.cross_entropy(torch.ones(2, 3), torch.tensor([0, 1, 1])), ValueError,
         r"target must have shape \(2,\)"),
        (lambda: L.binary_cross_entropy(torch.full((2,), 0.5), torch.tensor([0.0, 2.0])), ValueError,
         r"target must be in \[0, 1\]"),
        (lambda: L.binary_cross_entropy(torch.tensor([1.5, 0.5]), torch.tensor([0.0, 1.0])), ValueError,
         "input must hold probabilities"),
        (lambda: L.l1_loss(torch.ones(2), torch.ones(2), reduction="avg"), ValueError,
         "reduction must be one of 'none', 'mean', 'sum'; got 'avg'"),
        (lambda: L.cross_entropy(torch.ones(2, 3), torch.tensor([0, 1]), weight=torch.ones(2)), ValueError,
         r"one value per class, shape \(3,\)"),
        (lambda: L.huber_loss(torch.ones(2), torch.ones(2), delta=0.0), ValueError, r"delta must be > 0\.0"),
        (lambda: L.kl_div(torch.ones(2), torch.ones(2), reduction="avg"), ValueError, "batchmean"),
        (lambda: L.mse_loss(torch.ones(2, dtype=torch.long), torch.ones(2)), TypeError, "floating-point"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_cross_entropy_probability_targets_get_torch_gradient() -> None:
    """Soft targets: the target gets -w (1 - eps) log softmax(x) as gradient, like torch (issue 21)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    t = torch.rand(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.rand(4, generator=g, dtype=torch.float64)
    ours = torch.autograd.grad(L.cross_entropy(x, t, weight=w, label_smoothing=0.2), (x, t))
    theirs = torch.autograd.grad(F.cross_entropy(x, t, weight=w, label_smoothing=0.2), (x, t))
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b)


def test_all_targets_ignored_mean_is_nan_with_zero_gradient_like_torch() -> None:
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    y = torch.full((3,), -100)
    for fn in (L.cross_entropy, L.nll_loss):
        value = fn(x, y)
        assert torch.isnan(value)
        (grad,) = torch.autograd.grad(value, x)
        assert torch.equal(grad, torch.zeros_like(grad))


def test_kl_div_invalid_target_is_nan_like_torch() -> None:
    x = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    t = torch.tensor([0.0, -1.0, 0.5], dtype=torch.float64)
    assert torch.isnan(L.kl_div(x, t, reduction="sum"))
    torch.testing.assert_close(L.kl_div(x, t, reduction="none"),
                               F.kl_div(x, t, reduction="none"), equal_nan=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses_match_torch(name, reduction):
    """torch >= 2.6 weights each element; 'mean' divides by the sum of weights (Huber: the count)."""
    results = []
    for module in (L, F):
        x, y, w = (torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
                   .requires_grad_() for seed in (1, 2, 3))
        w = w.detach().abs().requires_grad_()
        out = getattr(module, name)(x, y, reduction=reduction, weight=w)
        out.sum().backward()
        results.append([out.detach(), x.grad, y.grad, w.grad])
    for ours, theirs in zip(*results, strict=True):
        torch.testing.assert_close(ours, theirs)
    with pytest.raises(ValueError, match="weight"):
        getattr(L, name)(x, y, weight=w[:2])


# --- Issue 33: each family a Function; the derivative only in backward; double backward right -----


def _pair(seed=7, shape=(4, 3)):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, dtype=torch.float64, generator=g),
            torch.randn(shape, dtype=torch.float64, generator=g))


def _functions_against_torch():
    x, y = _pair()
    prob = torch.sigmoid(x)
    target = torch.rand(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    p = torch.tensor([0.5, 1.0, 3.0], dtype=torch.float64)
    labels = torch.tensor([[1, -1, 1]] * 4)
    soft = torch.softmax(y, dim=1)
    cls = torch.tensor([0, 2, 1, 2])
    return [
        ("mse", L.MSEFunction.apply, F.mse_loss, (x, y), {}, ()),
        ("l1", L.L1Function.apply, F.l1_loss, (x, y), {}, ()),
        ("smooth_l1", L.SmoothL1Function.apply, F.smooth_l1_loss, (x, y), {"beta": 0.7}, (0.7,)),
        ("huber", L.HuberFunction.apply, F.huber_loss, (x, y), {"delta": 0.7}, (0.7,)),
        ("bce", L.BCEFunction.apply, F.binary_cross_entropy, (prob, target), {}, ()),
        ("bce_logits", lambda a, b: L.BCEWithLogitsFunction.apply(a, b, p),  # torch: no pos_weight gradient
         lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=p, reduction="none"),
         (x, target), None, ()),
        ("hinge", lambda a: L.HingeEmbeddingFunction.apply(a, labels.double(), 0.3),
         lambda a: F.hinge_embedding_loss(a, labels, margin=0.3, reduction="none"), (x,), None, ()),
        ("cross_entropy", L.CrossEntropyFunction.apply, F.cross_entropy, (x, soft), {}, ()),
        ("nll", lambda a: L.NLLFunction.apply(a, F.one_hot(cls, 3).double()),
         lambda a: F.nll_loss(a, cls, reduction="none"), (x,), None, ()),
        ("kl_div", lambda a, b: L.KLDivFunction.apply(a, b, False),
         lambda a, b: F.kl_div(a, b, reduction="none"), (x, soft), None, ()),
        ("kl_div_log", lambda a, b: L.KLDivFunction.apply(a, b, True),
         lambda a, b: F.kl_div(a, b, reduction="none", log_target=True), (x, y), None, ()),
    ]


@pytest.mark.parametrize(("name", "ours", "theirs", "args", "kwargs", "extra"), _functions_against_torch(),
                         ids=[c[0] for c in _functions_against_torch()])
def test_each_function_gives_torchs_unreduced_values_and_gradients(name, ours, theirs, args, kwargs, extra):
    """The Functions themselves (no wrapper, no reduction) against torch's reduction="none"."""
    results = []
    for fn in (lambda *a: ours(*a, *extra),
               (lambda *a: theirs(*a, reduction="none", **kwargs)) if kwargs is not None else theirs):
        inputs = [a.clone().requires_grad_(True) for a in args]
        out = fn(*inputs)
        upstream = random_tensor(out.shape, out.dtype, 3, scale=1.0)
        results.append([out.detach(), *torch.autograd.grad(out, inputs, upstream)])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b)


def gradgradcheck_cases():
    """Each loss, with every float input it differentiates, away from its kinks."""
    x, y = _pair(11)
    d = torch.where((x - y).abs() < 0.1, x - y + 0.3, x - y)  # |d| > 0.05, away from 0.7 below
    d = torch.where(((d.abs() - 0.7).abs() < 0.05), d * 1.2, d)
    prob = torch.rand(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2)).mul(0.8).add(0.1)
    w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    cls = torch.tensor([0, 2, -100, 2])
    soft = torch.softmax(y, dim=1)
    margin_x = torch.where((x - 0.3).abs() < 0.05, x + 0.2, x)
    return [
        ("mse", lambda a, b: L.mse_loss(a, b), (y + d, y)),
        ("mse_weighted", lambda a, b, c: L.mse_loss(a, b, weight=c), (y + d, y, prob)),
        ("l1", lambda a, b: L.l1_loss(a, b, reduction="sum"), (y + d, y)),
        ("smooth_l1", lambda a, b: L.smooth_l1_loss(a, b, beta=0.7, reduction="none"), (y + d, y)),
        ("huber", lambda a, b: L.huber_loss(a, b, delta=0.7), (y + d, y)),
        ("msle", lambda a, b: L.msle(a, b), (x.abs() + 0.1, y.abs() + 0.1)),
        ("mape", lambda a, b: L.mape(a, b), (x, y.abs() + 0.5)),
        ("bce", lambda a, b: L.binary_cross_entropy(a, b, weight=w), (prob, prob.flip(0))),
        ("bce_logits", lambda a, b, c: L.binary_cross_entropy_with_logits(a, b, pos_weight=c), (x, prob, w)),
        ("hinge", lambda a: L.hinge_embedding_loss(a, torch.tensor([[1, -1, 1]] * 4), margin=0.3),
         (margin_x,)),
        ("cross_entropy", lambda a: L.cross_entropy(a, cls, weight=w, label_smoothing=0.1), (x,)),
        ("cross_entropy_prob", lambda a, b: L.cross_entropy(a, b, weight=w, label_smoothing=0.2), (x, soft)),
        ("cross_entropy_nd", lambda a: L.cross_entropy(a, cls.reshape(2, 2) % 3, reduction="none"),
         (x.reshape(2, 2, 3).transpose(1, 2),)),
        ("nll", lambda a: L.nll_loss(a, cls, weight=w), (x,)),
        ("kl_div", lambda a, b: L.kl_div(a, b, reduction="batchmean"), (x, soft)),
        ("kl_div_log", lambda a, b: L.kl_div(a, b, log_target=True), (x, y)),
    ]


@pytest.mark.parametrize(("name", "fn", "args"), gradgradcheck_cases(),
                         ids=[c[0] for c in gradgradcheck_cases()])
def test_gradcheck_and_gradgradcheck(name, fn, args):
    """The backward is written in differentiable ops on the saved inputs, so its own derivative is
    right: double backward works (a Hessian-vector product, a gradient penalty)."""
    inputs = tuple(a.detach().clone().requires_grad_(True) for a in args)
    assert torch.autograd.gradcheck(fn, inputs)
    assert torch.autograd.gradgradcheck(fn, inputs)


class _RecordOutputs(torch.utils._python_dispatch.TorchDispatchMode):
    """Every tensor an aten op produces while the mode is on."""

    def __init__(self):
        super().__init__()
        self.outputs = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.outputs += [t.detach().clone() for t in torch.utils._pytree.tree_leaves(out)
                         if isinstance(t, torch.Tensor) and t.is_floating_point()]
        return out


def derivative_cases():
    x, y = _pair(13)
    prob = torch.rand(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(4)).mul(0.8).add(0.1)
    soft, cls, labels = torch.softmax(y, dim=1), torch.tensor([0, 2, 1, 2]), torch.tensor([[1, -1, 1]] * 4)
    d = x - y
    return [
        ("mse", lambda: L.mse_loss(x, y, reduction="none"), 2 * d),
        ("l1", lambda: L.l1_loss(x, y, reduction="none"), torch.sign(d)),
        ("smooth_l1", lambda: L.smooth_l1_loss(x, y, reduction="none", beta=0.7),
         torch.where(d.abs() < 0.7, d / 0.7, torch.sign(d))),
        ("huber", lambda: L.huber_loss(x, y, reduction="none", delta=0.7),
         torch.where(d.abs() <= 0.7, d, 0.7 * torch.sign(d))),
        ("msle", lambda: L.msle(x.abs(), y.abs(), reduction="none"),
         2 * (torch.log1p(x.abs()) - torch.log1p(y.abs())) / (1 + x.abs())),
        ("mape", lambda: L.mape(x, y, reduction="none"), 100 * torch.sign(d) / y.abs()),
        ("bce", lambda: L.binary_cross_entropy(prob, prob.flip(0), reduction="none"),
         (prob - prob.flip(0)) / (prob * (1 - prob))),
        ("bce_logits", lambda: L.binary_cross_entropy_with_logits(x, prob, reduction="none"),
         torch.sigmoid(x) - prob),
        ("hinge", lambda: L.hinge_embedding_loss(x, labels, margin=0.3, reduction="none"),
         torch.where(labels == 1, 1.0, -(x < 0.3).double())),
        ("cross_entropy", lambda: L.cross_entropy(x, cls, reduction="none"),
         torch.softmax(x, 1) - F.one_hot(cls, 3)),
        ("cross_entropy_prob", lambda: L.cross_entropy(x, soft, reduction="none"),
         torch.softmax(x, 1) - soft),
        ("nll", lambda: L.nll_loss(x, cls, reduction="none"), -F.one_hot(cls, 3).double()),
        ("kl_div", lambda: L.kl_div(x, soft, reduction="none"), -soft),
    ]


@pytest.mark.parametrize(("name", "evaluate", "derivative"), derivative_cases(),
                         ids=[c[0] for c in derivative_cases()])
def test_evaluation_does_not_compute_the_derivative(name, evaluate, derivative):
    """Under no_grad (evaluation) no op produces the loss's derivative: only backward computes it.
    (Before issue 33 every loss but cross-entropy computed it in its forward pass.)"""
    recorder = _RecordOutputs()
    with torch.no_grad(), recorder:
        evaluate()
    assert recorder.outputs, "the recorder saw the forward pass's ops"
    found = [t for t in recorder.outputs if t.shape == derivative.shape
             and torch.allclose(t.to(derivative.dtype), derivative.to(t.dtype))]
    assert not found, f"{name}: evaluation computed the derivative"


# --- The chapter's derivations (issue 36), checked on the library ---------------------------------


@given(seeds, st.integers(2, 7))
def test_softmax_jacobian_is_p_times_delta_minus_p(seed, k):
    """The losses chapter's derivation, step 1: dp_i/dz_j = p_i (delta_ij - p_j)."""
    from nnbasics.activations import softmax

    z = random_tensor((k,), torch.float64, seed, scale=3.0)
    p = softmax(z, dim=0)
    jacobian = torch.autograd.functional.jacobian(lambda v: softmax(v, dim=0), z)
    torch.testing.assert_close(jacobian, torch.diag(p) - torch.outer(p, p), rtol=0, atol=1e-12)


@given(seeds, st.integers(1, 6), st.integers(2, 6), st.sampled_from([0.0, 0.1, 0.3]))
def test_cross_entropy_gradient_is_p_minus_target_over_n(seed, n, k, eps):
    """Steps 3 and 4: the mean's gradient is (p - a) / N, with a = y_ls = (1 - eps) y + eps / K."""
    z = random_tensor((n, k), torch.float64, seed, scale=3.0).requires_grad_(True)
    y = torch.arange(n) % k
    (grad,) = torch.autograd.grad(L.cross_entropy(z, y, label_smoothing=eps), z)
    a = (1 - eps) * F.one_hot(y, k).double() + eps / k
    torch.testing.assert_close(grad, (torch.softmax(z.detach(), dim=1) - a) / n, rtol=0, atol=1e-12)


@pytest.mark.parametrize("eps, k", [(0.1, 5), (0.1, 10), (0.2, 5), (0.01, 100)])
def test_label_smoothing_gradient_vanishes_at_the_derived_logit_gap(eps, k):
    """At z_y - z_k = log((1 - eps + eps/K) / (eps/K)) the smoothed loss is smallest: gradient 0."""
    gap = np.log((1 - eps + eps / k) / (eps / k))
    for shift, sign in ((0.0, 0), (-0.5, -1), (0.5, 1)):
        z = torch.zeros(1, k, dtype=torch.float64)
        z[0, 0] = gap + shift
        z.requires_grad_(True)
        (grad,) = torch.autograd.grad(L.cross_entropy(z, torch.tensor([0]), label_smoothing=eps), z)
        if sign == 0:
            assert grad.abs().max() < 1e-12
        else:  # below the gap the true logit is pushed up, above it down
            assert torch.sign(grad[0, 0]).item() == sign
