"""Tests of nnbasics.regularization against torch.nn and by statistics."""

from __future__ import annotations

import doctest
import math

import pytest
import torch
from conftest import TOL, dtypes, random_tensor, seeds
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnbasics import regularization as R

# --- Dropout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.4, 0.8])
def test_dropout_rate_and_inverted_scaling(p):
    torch.manual_seed(0)
    x = torch.ones(200_000, dtype=torch.float64)
    y = R.dropout(x, p)
    kept = y != 0
    assert abs(1 - kept.double().mean().item() - p) < 0.005  # ~5 standard errors
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / (1 - p)))
    assert abs(y.mean().item() - 1.0) < 0.01  # the expectation is unchanged


def test_dropout_in_eval_is_identity_and_at_inference_scales():
    x = torch.randn(5, 4)
    assert torch.equal(R.dropout(x, 0.4, training=False), x)
    torch.testing.assert_close(R.dropout(x, 0.4, training=False, scaling="at_inference"), 0.6 * x)
    torch.manual_seed(1)
    y = R.dropout(x, 0.4, training=True, scaling="at_inference")
    assert torch.all((y == 0) | (y == x))  # no scaling in training


def test_dropout_gradient_reuses_the_mask():
    torch.manual_seed(2)
    x = torch.randn(1000, dtype=torch.float64, requires_grad=True)
    y = R.dropout(x, 0.3)
    y.backward(torch.ones_like(y))
    expected = (y.detach() != 0).double() / 0.7
    torch.testing.assert_close(x.grad, expected)


def test_dropout_module_matches_torch_in_eval_and_repr():
    ours, theirs = R.Dropout(0.3).eval(), nn.Dropout(0.3).eval()
    x = torch.randn(4, 6)
    assert torch.equal(ours(x), theirs(x))
    assert repr(ours) == repr(theirs)


def test_dropout2d_drops_whole_channels():
    torch.manual_seed(3)
    x = torch.ones(64, 16, 5, 5)
    y = R.dropout2d(x, 0.5)
    per_channel = y.flatten(2)
    assert torch.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0.4 < (per_channel[..., 0] == 0).float().mean().item() < 0.6
    assert repr(R.Dropout2d(0.2)) == repr(nn.Dropout2d(0.2))


def test_dropout_gradcheck_with_fixed_mask():
    x = random_tensor((3, 4), torch.float64, 0).requires_grad_(True)
    mask = (torch.rand(3, 4, generator=torch.Generator().manual_seed(0)) > 0.5).double()
    assert torch.autograd.gradcheck(lambda t: R.DropoutFunction.apply(t, mask, 2.0), (x,))


# --- Batch norm -----------------------------------------------------------------------------------


def pair(torch_cls, ours_cls, channels, dtype, **kwargs):
    theirs = torch_cls(channels, **kwargs).to(dtype)
    if theirs.affine:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-0.5, 0.5)
    ours = ours_cls(channels, **kwargs).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def run_steps(module, inputs, upstream):
    outs, grads = [], []
    for x, g in zip(inputs, upstream, strict=True):
        x = x.clone().requires_grad_(True)
        module.zero_grad()
        y = module(x)
        y.backward(g)
        outs.append(y.detach())
        grads.append([x.grad] + [p.grad.clone() for p in module.parameters()])
    return outs, grads


BN_CASES = [
    (nn.BatchNorm1d, R.BatchNorm1d, (8, 3)),
    (nn.BatchNorm1d, R.BatchNorm1d, (6, 3, 5)),
    (nn.BatchNorm2d, R.BatchNorm2d, (4, 3, 5, 6)),
]


@pytest.mark.parametrize(("torch_cls", "ours_cls", "shape"), BN_CASES)
@pytest.mark.parametrize("kwargs", [{}, {"momentum": 0.3}, {"momentum": None}, {"affine": False},
                                    {"track_running_stats": False}, {"eps": 1e-3}])
@given(seed=seeds, dtype=dtypes)
def test_batch_norm_matches_torch_over_several_steps(torch_cls, ours_cls, shape, kwargs, seed, dtype):
    ours, theirs = pair(torch_cls, ours_cls, shape[1], dtype, **kwargs)
    inputs = [random_tensor(shape, dtype, seed + i) + i for i in range(3)]
    upstream = [random_tensor(shape, dtype, seed + 100 + i, scale=1.0) for i in range(3)]
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        o_out, o_grads = run_steps(ours, inputs, upstream)
        t_out, t_grads = run_steps(theirs, inputs, upstream)
        for a, b in zip(o_out, t_out, strict=True):
            torch.testing.assert_close(a, b, **TOL[dtype])
        for ga, gb in zip(o_grads, t_grads, strict=True):
            for a, b in zip(ga, gb, strict=True):
                torch.testing.assert_close(a, b, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)
        for name, buf in theirs.named_buffers():
            torch.testing.assert_close(dict(ours.named_buffers())[name], buf, **TOL[dtype])


def test_batch_norm_by_hand_on_the_3x3_example():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], dtype=torch.float64)
    bn = R.BatchNorm1d(3).double()
    y = bn(x)
    # each column has mean 4, 5, 6 and biased variance 6: (x - mean) / sqrt(6 + 1e-5)
    expected = torch.tensor([[-3.0] * 3, [0.0] * 3, [3.0] * 3], dtype=torch.float64) / (6 + 1e-5) ** 0.5
    torch.testing.assert_close(y, expected)
    torch.testing.assert_close(bn.running_mean, torch.tensor([0.4, 0.5, 0.6], dtype=torch.float64))
    torch.testing.assert_close(bn.running_var, torch.full((3,), 0.9 + 0.1 * 9.0, dtype=torch.float64))


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (3, 3, 2, 2)])
def test_normalize_gradcheck(shape):
    x = random_tensor(shape, torch.float64, 1).requires_grad_(True)
    w = random_tensor((3,), torch.float64, 2).requires_grad_(True)
    b = random_tensor((3,), torch.float64, 3).requires_grad_(True)
    dims = (0, *range(2, len(shape)))
    pshape = (1, 3, *([1] * (len(shape) - 2)))
    assert torch.autograd.gradcheck(
        lambda x, w, b: R.NormalizeFunction.apply(x, w, b, dims, 1e-5, pshape), (x, w, b))
    mean, var = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    assert torch.autograd.gradcheck(
        lambda x, w, b: R.NormalizeWithStatsFunction.apply(x, w, b, mean, var, 1e-5, pshape), (x, w, b))


# --- Layer norm -----------------------------------------------------------------------------------


@given(seed=seeds, dtype=dtypes, lead=st.lists(st.integers(1, 4), min_size=0, max_size=2),
       # one or two elements normalized are degenerate (the output is 0 or ±1 whatever x is, and the
       # gradient is a float32 cancellation in both implementations): at least three
       norm=st.lists(st.integers(1, 5), min_size=1, max_size=2).filter(lambda s: math.prod(s) > 2),
       affine=st.booleans(), bias=st.booleans())
def test_layer_norm_matches_torch(seed, dtype, lead, norm, affine, bias):
    theirs = nn.LayerNorm(norm, elementwise_affine=affine, bias=bias).to(dtype)
    if affine:
        with torch.no_grad():
            for p in theirs.parameters():
                p.uniform_(-1.0, 1.5)
    ours = R.LayerNorm(norm, elementwise_affine=affine, bias=bias).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((*lead, *norm), dtype, seed)
    g = random_tensor(x.shape, dtype, seed + 1, scale=1.0)
    (o_out,), (o_grads,) = run_steps(ours, [x], [g])
    (t_out,), (t_grads,) = run_steps(theirs, [x], [g])
    torch.testing.assert_close(o_out, t_out, **TOL[dtype])
    for a, b in zip(o_grads, t_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)
    assert repr(ours) == repr(theirs)


# --- Penalties and weight decay -------------------------------------------------------------------


def test_penalties_count_weights_only_by_default():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    weights = [net[0].weight, net[2].weight]
    torch.testing.assert_close(R.l1_penalty(net), sum(w.abs().sum() for w in weights))
    torch.testing.assert_close(R.l2_penalty(net), sum((w**2).sum() for w in weights))
    everything = sum((p**2).sum() for p in net.parameters())
    torch.testing.assert_close(R.l2_penalty(net, weights_only=False), everything)
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        R.l2_penalty([torch.ones(2)])


def test_sgd_weight_decay_equals_half_lambda_l2_in_the_loss():
    lam = 0.05
    X, Y = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 1, dtype=torch.float64)
    torch.manual_seed(0)
    a = nn.Linear(3, 1).double()
    torch.manual_seed(0)
    b = nn.Linear(3, 1).double()
    opt_a = torch.optim.SGD(a.parameters(), lr=0.1, weight_decay=lam)
    opt_b = torch.optim.SGD(b.parameters(), lr=0.1)
    for _ in range(20):
        opt_a.zero_grad()
        ((a(X) - Y) ** 2).mean().backward()
        opt_a.step()
        opt_b.zero_grad()
        (((b(X) - Y) ** 2).mean() + lam / 2 * R.l2_penalty(b, weights_only=False)).backward()
        opt_b.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q)


# --- Early stopping -----------------------------------------------------------------------------


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    model = nn.Linear(2, 1)
    stopper = R.EarlyStopping(patience=2, min_delta=0.01)
    losses = [1.0, 0.8, 0.795, 0.81, 0.9, 0.7]
    stopped_at = None
    for epoch, loss in enumerate(losses):
        with torch.no_grad():
            model.weight.fill_(epoch)
        if stopper.on_epoch_end(epoch, {"val_loss": loss}, model):
            stopped_at = epoch
            break
    assert stopped_at == 4 and stopper.best_epoch == 1 and stopper.best == 0.8
    assert torch.all(model.weight == 1.0)  # the weights of epoch 1


def test_early_stopping_docstring_states_the_rule_the_code_follows():
    # Issue 32: the docstring said "not improved for patience epochs" while step() stops at the
    # (patience + 1)-th epoch without improvement (patience tolerated, as ReduceLROnPlateau counts).
    # Its example runs here, so a docstring and a code that disagree fail together.
    assert "more than ``patience`` epochs" in R.EarlyStopping.__doc__.splitlines()[0]
    report: list[str] = []
    runner = doctest.DocTestRunner()
    tests = doctest.DocTestFinder().find(R.EarlyStopping, globs={"EarlyStopping": R.EarlyStopping})
    for test in tests:
        runner.run(test, out=report.append)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted >= 2 and failed == 0, "".join(report)
    # the same rule by hand: best at epoch 0, patience 3 -> epochs 1, 2, 3 tolerated, stop at 4
    stopper = R.EarlyStopping(patience=3)
    assert [stopper.step(v) for v in (1.0, 2.0, 2.0, 2.0, 2.0)] == [False, False, False, False, True]


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="patience must be an int >= 0"):
        R.EarlyStopping(patience=-1)
    with pytest.raises(KeyError, match="monitors 'val_loss'"):
        R.EarlyStopping().on_epoch_end(0, {"loss": 1.0})


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: R.dropout(torch.ones(3), p=1.5), ValueError, r"p must be <= 1\.0, got 1\.5"),
        (lambda: R.Dropout(p=-0.1), ValueError, r"p must be >= 0\.0, got -0\.1"),
        (lambda: R.dropout(torch.ones(3), 0.5, scaling="paper"), ValueError, "scaling must be one of"),
        (lambda: R.dropout2d(torch.ones(3, 4), 0.5), ValueError, r"expects a \[N, C, H, W\]"),
        (lambda: R.BatchNorm1d(3)(torch.ones(1, 3)), ValueError, "more than 1 value per channel"),
        (lambda: R.BatchNorm1d(3)(torch.ones(4, 5)), ValueError, r"expects 3 features \(channels\) in dim 1"),
        (lambda: R.BatchNorm2d(3)(torch.ones(4, 3)), ValueError, "expects 4-D input"),
        (lambda: R.BatchNorm1d(0), ValueError, "num_features must be a positive int"),
        (lambda: R.LayerNorm(4)(torch.ones(2, 5)), ValueError, "must match the last dimensions"),
        (lambda: R.batch_norm(torch.ones(4, 3), None, None, weight=torch.ones(2)), ValueError,
         r"weight must have shape \(3,\)"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_batch_norm_eval_with_batch_of_one_is_fine():
    bn = R.BatchNorm1d(3).eval()
    assert bn(torch.ones(1, 3)).shape == (1, 3)


@pytest.mark.parametrize(("ours", "theirs"), [(R.dropout, torch.nn.functional.dropout),
                                              (R.dropout2d, torch.nn.functional.dropout2d)])
def test_dropout_inplace_writes_into_the_input_like_torch(ours, theirs):
    def run(fn):
        torch.manual_seed(3)
        x = torch.randn(2, 3, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                        requires_grad=True)
        hidden = 3.0 * x
        out = fn(hidden, p=0.4, training=True, inplace=True)
        assert out is hidden
        out.sum().backward()
        return out.detach(), x.grad

    out, grad = run(ours)
    out_t, grad_t = run(theirs)
    kept = out != 0
    assert (out_t != 0).sum() > 0 and 0 < kept.float().mean() < 1
    torch.testing.assert_close(grad, torch.where(kept, 3.0 / 0.6, 0.0).double())  # mask * scale * 3
    assert grad_t.unique().tolist() == [0.0, 5.0]  # torch's gradient has the same form
    module = R.Dropout(0.5, True)
    y = torch.ones(10, dtype=torch.float64)
    assert module(y) is y and set(y.unique().tolist()) <= {0.0, 2.0} and "inplace=True" in repr(module)
    module.eval()
    z = torch.ones(3)
    assert module(z) is z


def test_layer_norm_device_dtype_like_torch():
    ours = R.LayerNorm((2, 3), dtype=torch.float64, device="cpu")
    theirs = nn.LayerNorm((2, 3), dtype=torch.float64, device="cpu")
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert a.dtype == b.dtype == torch.float64 and a.shape == b.shape, name


@pytest.mark.parametrize(
    ("mode", "values", "expected_stops", "best", "best_epoch"),
    [
        # min_delta = 0.25 (exact in binary): a gain of exactly 0.25 is not an improvement.
        ("max", [1.0, 1.25, 1.5, 1.5, 1.75, 1.625], [False, False, False, False, False, True], 1.5, 2),
        ("min", [1.0, 0.75, 0.5, 0.5, 0.25, 0.375], [False, False, False, False, False, True], 0.5, 2),
    ],
)
def test_early_stopping_modes_and_min_delta_exactly(mode, values, expected_stops, best, best_epoch):
    model = nn.Linear(1, 1)
    stopper = R.EarlyStopping(patience=2, min_delta=0.25, mode=mode, monitor="val_acc")
    stops = []
    for epoch, value in enumerate(values):
        with torch.no_grad():
            model.weight.fill_(epoch)
        stops.append(stopper.on_epoch_end(epoch, {"val_acc": value}, model))
    assert stops == expected_stops
    assert (stopper.best, stopper.best_epoch, stopper.stopped_epoch) == (best, best_epoch, 5)
    assert model.weight.item() == best_epoch  # restored to the best epoch's weights
    kept = R.EarlyStopping(patience=0, min_delta=0.25, mode=mode, restore_best_weights=False)
    assert [kept.step(v, model) for v in values[:2]] == [False, True] and model.weight.item() == best_epoch
    assert R.EarlyStopping(mode=mode).step(values[0]) is False  # the first value always improves


# --- issue 21: tests that kill the mutants of regularization.py that survived ----------------------


def test_dropout_with_p_0_and_p_1_like_torch():
    x = torch.randn(4, 5, requires_grad=True)
    torch.manual_seed(0)
    assert R.dropout(x, 0.0) is torch.nn.functional.dropout(x, 0.0) is x  # untouched, no mask drawn
    after = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(torch.rand(3), after)  # p = 0 draws no random numbers, as in torch
    y = R.dropout(x, 1.0)
    assert torch.equal(y, torch.nn.functional.dropout(x, 1.0)) and torch.equal(y, torch.zeros(4, 5))
    y.sum().backward()
    assert torch.equal(x.grad, torch.zeros(4, 5))


def test_dropout_at_inference_in_place_in_evaluation():
    x = torch.randn(3, 4, dtype=torch.float64)
    expected = 0.75 * x
    assert R.dropout(x, 0.25, training=False, inplace=True, scaling="at_inference") is x
    assert torch.equal(x, expected)
    expected_repr = "Dropout(p=0.25, inplace=False, scaling='at_inference')"
    assert repr(R.Dropout(0.25, scaling="at_inference")) == expected_repr


@pytest.mark.parametrize("shape", [(16, 5, 5), (2, 16, 5, 5)])
def test_dropout2d_module_drops_whole_channels_of_one_sample_or_a_batch(shape):
    torch.manual_seed(4)
    module = R.Dropout2d(0.5)
    y = module(torch.ones(shape))
    per_channel = y.flatten(-2)
    assert y.shape == shape and torch.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel[..., 0] == 0).float().mean() < 1
    x = torch.randn(shape)
    assert torch.equal(module.eval()(x), x)


def test_batch_norm_edge_cases_like_torch():
    empty = torch.empty(0, 3)
    mean, var = torch.zeros(3), torch.ones(3)
    out = R.batch_norm(empty, mean, var, training=True)
    assert out.shape == torch.nn.functional.batch_norm(empty, mean, var, training=True).shape == (0, 3)
    assert torch.equal(mean, torch.zeros(3)) and torch.equal(var, torch.ones(3))  # untouched
    x = random_tensor((2, 3), torch.float64, 5)  # a batch of 2: the smallest one training accepts
    ours, theirs = pair(nn.BatchNorm1d, R.BatchNorm1d, 3, torch.float64)
    torch.testing.assert_close(ours(x), theirs(x))
    torch.testing.assert_close(ours.running_var, theirs.running_var)
    # no running statistics: the batch's own, in evaluation too
    torch.testing.assert_close(R.batch_norm(x, None, None, training=False),
                               torch.nn.functional.batch_norm(x, None, None, training=True))
    with pytest.raises(ValueError, match=r"expects input of shape \[N, C, \.\.\.\], got shape \(3,\)"):
        R.batch_norm(torch.ones(3), None, None)
    with pytest.raises(TypeError, match="eps must be a real number"):
        R.batch_norm(x, None, None, eps="small")
    with pytest.raises(ValueError, match=r"momentum=None .* needs num_batches_tracked"):
        R.batch_norm(x, torch.zeros(3), torch.ones(3), training=True, momentum=None)


def test_layer_norm_errors():
    x = torch.randn(2, 4)
    with pytest.raises(ValueError, match=r"normalized_shape \(\) must match the last dimensions"):
        R.layer_norm(x, ())
    for name in ("weight", "bias"):
        with pytest.raises(ValueError, match=rf"{name} must have shape \(4,\), got \(3,\)"):
            R.layer_norm(x, (4,), **{name: torch.ones(3)})
    with pytest.raises(TypeError, match="eps must be a real number"):
        R.layer_norm(x, (4,), eps="small")
    for shape in [(), (2, "3"), 0, (3, 0)]:
        with pytest.raises(ValueError, match="normalized_shape must be positive ints"):
            R.LayerNorm(shape)
    assert R.LayerNorm((1, 4)).weight.shape == (1, 4)  # a dimension of 1 is fine, as in torch


def test_penalties_skip_frozen_parameters():
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    net[0].weight.requires_grad_(False)
    torch.testing.assert_close(R.l2_penalty(net), (net[1].weight ** 2).sum())
    expected = net[1].weight.abs().sum() + net[0].bias.abs().sum() + net[1].bias.abs().sum()
    torch.testing.assert_close(R.l1_penalty(net, weights_only=False), expected)


def test_early_stopping_state_and_bad_patience():
    stopper = R.EarlyStopping()
    assert (stopper.best, stopper.best_epoch, stopper.epochs_without_improvement, stopper.stopped_epoch) == (
        math.inf, -1, 0, None)
    assert stopper.step(torch.tensor(0.5)) is False
    assert type(stopper.best) is float and stopper.best == 0.5  # a plain number, not a tensor
    for patience in (True, 1.5, "2"):
        with pytest.raises(ValueError, match="patience must be an int >= 0"):
            R.EarlyStopping(patience=patience)


def test_early_stopping_without_restoring_keeps_the_last_weights():
    model = nn.Linear(1, 1)
    for restore, expected in [(False, 2.0), (True, 0.0)]:
        stopper = R.EarlyStopping(patience=1, restore_best_weights=restore)
        stops = []
        for epoch, value in enumerate([1.0, 2.0, 3.0]):
            with torch.no_grad():
                model.weight.fill_(epoch)
            stops.append(stopper.step(value, model))
        assert stops == [False, False, True] and model.weight.item() == expected
    by_hand = R.EarlyStopping(patience=0)
    assert by_hand.step(1.0, model) is False and by_hand.step(2.0) is True  # no model at the stop: fine


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None, "eps": 1e-3}, {"affine": False},
                                    {"bias": False}, {"track_running_stats": False}])
@pytest.mark.parametrize(("torch_cls", "ours_cls"), [(nn.BatchNorm1d, R.BatchNorm1d),
                                                     (nn.BatchNorm2d, R.BatchNorm2d)])
def test_batch_norm_repr_like_torch(torch_cls, ours_cls, kwargs):
    assert repr(ours_cls(3, **kwargs)) == repr(torch_cls(3, **kwargs))


def test_functional_defaults_are_torchs():
    """Called with only the input, each function does what torch's does with its defaults.

    dropout and dropout2d: p = 0.5 in training, a new tensor (the input untouched); batch_norm:
    evaluation with the running statistics (training=False), momentum 0.1 when training.
    """
    torch.manual_seed(0)
    x = torch.rand(64, 50) + 1.0
    before = x.clone()
    y = R.dropout(x)
    assert torch.equal(x, before), "dropout must not write into its input by default"
    kept = y != 0
    assert 0.35 < kept.float().mean().item() < 0.65, "default p is 0.5"
    torch.testing.assert_close(y[kept], 2.0 * x[kept])  # 1 / (1 - 0.5)
    x4 = torch.rand(32, 40, 2, 2) + 1.0
    before = x4.clone()
    y4 = R.dropout2d(x4)
    assert torch.equal(x4, before), "dropout2d must not write into its input by default"
    kept = y4[:, :, 0, 0] != 0
    assert 0.35 < kept.float().mean().item() < 0.65, "default p is 0.5"
    torch.testing.assert_close(y4[kept], 2.0 * x4[kept])
    x = torch.randn(8, 3)
    mean, var = torch.tensor([1.0, -1.0, 0.5]), torch.tensor([4.0, 0.25, 1.0])
    ours_mean, ours_var = mean.clone(), var.clone()
    torch.testing.assert_close(R.batch_norm(x, ours_mean, ours_var),
                               torch.nn.functional.batch_norm(x, mean.clone(), var.clone()))
    assert torch.equal(ours_mean, mean) and torch.equal(ours_var, var), "default is evaluation"
    theirs_mean, theirs_var = mean.clone(), var.clone()
    torch.nn.functional.batch_norm(x, theirs_mean, theirs_var, training=True)
    R.batch_norm(x, ours_mean, ours_var, training=True)
    torch.testing.assert_close(ours_mean, theirs_mean)  # momentum 0.1
    torch.testing.assert_close(ours_var, theirs_var)


def test_module_defaults_are_torchs_and_zero_eps_is_refused():
    """The modules' defaults print and start as torch's; an eps of 0 (a 0 / 0 on a constant
    channel) and a momentum above 1 are refused, with the argument named."""
    assert repr(R.Dropout()) == repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    ours, theirs = R.BatchNorm1d(3), nn.BatchNorm1d(3)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    for name, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[name], value), name  # num_batches_tracked starts at 0
    x = torch.full((4, 3), 2.0) + 1e-3 * torch.randn(4, 3)  # variance ~1e-6: eps = 1e-5 matters
    torch.testing.assert_close(R.layer_norm(x, (3,)), torch.nn.functional.layer_norm(x, (3,)))
    for make in (lambda: R.BatchNorm1d(3, eps=0.0), lambda: R.LayerNorm(3, eps=0.0)):
        with pytest.raises(ValueError, match=r"eps must be > 0\.0, got 0\.0"):
            make()
    with pytest.raises(ValueError, match=r"momentum must be <= 1\.0, got 1\.5"):
        R.BatchNorm2d(3, momentum=1.5)
    stopper = R.EarlyStopping()  # patience 5, min_delta 0: any decrease is an improvement
    assert not stopper.step(1.0) and not stopper.step(1.0 - 1e-12)
    assert [stopper.step(1.0) for _ in range(6)] == [False] * 5 + [True]
    assert stopper.best_epoch == 1


# --- The chapter's derivation and layer-norm claims (issue 36) ------------------------------------


@given(seeds, st.integers(2, 9), st.integers(1, 4))
def test_batch_norm_backward_equals_the_chain_rule_through_mean_and_variance(seed, m, k):
    """The regularization chapter's derivation: step 4's three paths (through x_hat, sigma^2 and mu)
    equal NormalizeFunction.backward's simplified line."""
    x = random_tensor((m, k), torch.float64, seed, scale=2.0) + 1
    g = random_tensor((m, k), torch.float64, seed + 1)
    gamma = random_tensor((k,), torch.float64, seed + 2).abs() + 0.5
    mu = x.mean(dim=0)
    s = 1 / torch.sqrt(((x - mu) ** 2).mean(dim=0) + 1e-5)
    g_hat = gamma * g
    d_var = -0.5 * s**3 * (g_hat * (x - mu)).sum(dim=0)
    d_mu = -s * g_hat.sum(dim=0) + d_var * (-2 / m) * (x - mu).sum(dim=0)
    chain_rule = g_hat * s + d_var * 2 * (x - mu) / m + d_mu / m
    xr = x.clone().requires_grad_(True)
    (ours,) = torch.autograd.grad(R.batch_norm(xr, None, None, gamma, None, training=True), xr, g)
    torch.testing.assert_close(ours, chain_rule, rtol=1e-9, atol=1e-10)


def test_layer_norm_ignores_the_batch_and_the_mode_where_batch_norm_does_not():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(8, 4, 6, generator=gen, dtype=torch.float64)
    b = torch.randn(8, 4, 6, generator=gen, dtype=torch.float64)
    b[0] = a[0]
    ln, bn = R.LayerNorm(4, dtype=torch.float64), R.BatchNorm1d(4, dtype=torch.float64)
    with torch.no_grad():
        def per_step(x):
            return ln(x.transpose(1, 2)).transpose(1, 2)

        assert torch.equal(per_step(a)[0], per_step(b)[0])
        assert torch.equal(per_step(a[:1])[0], per_step(a)[0])
        assert (bn(a)[0] - bn(b)[0]).abs().max() > 0.1
        train_out = per_step(a)
        ln.eval()
        assert torch.equal(per_step(a), train_out)
