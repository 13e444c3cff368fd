"""Tests of nnbasics.gradcheck: it agrees with torch.autograd.gradcheck, right and wrong."""

from __future__ import annotations

import pytest
import torch

from nnbasics import activations as A
from nnbasics.gradcheck import GradcheckError, check_gradients, gradcheck, numerical_jacobian
from nnbasics.layers import LinearFunction


class WrongSigmoid(torch.autograd.Function):
    """sigma(x) with the derivative sigma(1 + sigma) instead of sigma(1 - sigma)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 + y)


class SlightlyWrongLinear(torch.autograd.Function):
    """x W^T whose weight gradient is 1 % too large: a subtle bug a checker must catch."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w.T

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, 1.01 * (g.T @ x)


class HalfSoftmax(torch.autograd.Function):
    """Softmax whose backward drops the inner-product term."""

    @staticmethod
    def forward(ctx, x):
        y = torch.softmax(x, dim=-1)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * g


def inputs(*shapes, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(s, generator=gen, dtype=torch.float64).requires_grad_(True) for s in shapes)


CASES = [
    ("sigmoid", A.sigmoid, inputs((3, 4)), True),
    ("softmax", lambda x: A.softmax(x, dim=1), inputs((2, 5)), True),
    ("linear", LinearFunction.apply, inputs((4, 3), (2, 3), (2,)), True),
    ("composite", lambda x, w: A.tanh(x @ w).sum(dim=0), inputs((3, 4), (4, 2)), True),
    ("wrong sigmoid", WrongSigmoid.apply, inputs((3, 4)), False),
    ("wrong linear", SlightlyWrongLinear.apply, inputs((4, 3), (2, 3)), False),
    ("wrong softmax", HalfSoftmax.apply, inputs((2, 5)), False),
]


@pytest.mark.parametrize(("name", "fn", "args", "correct"), CASES, ids=[c[0] for c in CASES])
def test_agrees_with_torch_on_right_and_wrong_backward_functions(name, fn, args, correct):
    ours = gradcheck(fn, args, raise_exception=False)
    theirs = torch.autograd.gradcheck(fn, args, raise_exception=False)
    assert ours == theirs == correct


def test_report_names_the_worst_entries():
    (x,) = inputs((3, 4))
    result = check_gradients(WrongSigmoid.apply, (x,), n_worst=3)
    assert not result.passed and len(result.worst) == 3
    worst = result.worst[0]
    y = torch.sigmoid(x.detach())
    i, j = worst.in_index
    assert worst.out_index == (i, j)  # elementwise: only diagonal entries can be wrong
    assert worst.analytic == pytest.approx((y * (1 + y))[i, j].item())
    assert worst.numeric == pytest.approx((y * (1 - y))[i, j].item(), rel=1e-6)
    text = result.report()
    assert text.startswith("gradient check FAILED") and "worst entries" in text
    with pytest.raises(GradcheckError, match="gradient check FAILED"):
        gradcheck(WrongSigmoid.apply, (x,))
    assert "passed" in check_gradients(A.sigmoid, (x,)).report()


def test_numerical_jacobian_of_a_linear_map_is_its_matrix():
    W = torch.randn(3, 4, dtype=torch.float64)
    (x,) = inputs((4,))
    (jac,) = numerical_jacobian(lambda v: W @ v, (x,))
    torch.testing.assert_close(jac, W)
    torch.testing.assert_close(x, inputs((4,))[0])  # the input is restored


def test_only_inputs_that_require_grad_are_checked():
    x, w = inputs((3, 2), (2, 2))
    w.requires_grad_(False)
    (jac,) = numerical_jacobian(lambda a, b: (a @ b).sum(), (x, w))
    assert jac.shape == x.shape


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: gradcheck(3, inputs((2,))), TypeError, "func must be callable"),
        (lambda: gradcheck(A.sigmoid, [torch.ones(2, dtype=torch.float64)]), ValueError,
         "requires_grad=True"),
        (lambda: gradcheck(A.sigmoid, [torch.ones(2, requires_grad=True)]), TypeError, "float64"),
        (lambda: gradcheck(lambda x: x.tolist(), inputs((2,))), TypeError, "fn must return a tensor"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _randn(*shape):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("make", [lambda: torch.tensor(0.7, dtype=torch.float64), lambda: _randn(3, 4).t(),
                                  lambda: _randn(4, 6)[:, ::2]], ids=["0-d", "transposed", "strided"])
def test_zero_dim_and_non_contiguous_inputs_like_torch(make):
    x = make().requires_grad_()
    weight = torch.linspace(-1, 1, max(x.numel(), 1), dtype=torch.float64).reshape(x.shape)

    def fn(t):
        return torch.sin(t) * weight

    assert gradcheck(fn, x) and torch.autograd.gradcheck(fn, (x,))
    numeric = numerical_jacobian(fn, [x])[0]
    expected = torch.diag((torch.cos(x) * weight).detach().flatten()).reshape((*x.shape, *x.shape))
    torch.testing.assert_close(numeric, expected, atol=1e-8, rtol=1e-6)
    broken = check_gradients(lambda t: WrongSigmoid.apply(t) * weight, x)
    assert not broken.passed  # a wrong backward is still caught on such inputs


@pytest.mark.parametrize("width", [2, 4])
def test_expanded_input_is_refused_like_torch(width):
    x = torch.randn(3, 1, dtype=torch.float64, requires_grad=True).expand(3, width)
    with pytest.raises(ValueError, match=r"inputs\[0\].*stride 0"):
        gradcheck(torch.sin, x)
    with pytest.raises(RuntimeError, match="stride 0"):
        torch.autograd.gradcheck(torch.sin, (x,))
    one = torch.randn(3, 1, dtype=torch.float64, requires_grad=True).expand(3, 1)  # stride 0, one entry
    assert gradcheck(torch.sin, one) and torch.autograd.gradcheck(torch.sin, (one,))


def test_an_empty_input_passes_with_zero_errors_like_torch():
    empty = torch.empty(0, 3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: a.sum() * b, (empty, x))
    result = check_gradients(lambda a, b: a.sum() * b, (empty, x))
    assert result.passed and result.max_abs_error < 1e-8 and result.max_rel_error < 1e-8
    alone = check_gradients(torch.sin, empty)
    assert alone.passed and alone.max_abs_error == 0.0 and alone.max_rel_error == 0.0


# Tests that kill what `make mutation` showed survived: each asserts a behaviour torch also has.


def test_defaults_are_torchs():
    import inspect

    ours = inspect.signature(gradcheck).parameters
    theirs = inspect.signature(torch.autograd.gradcheck).parameters
    for name, parameter in ours.items():
        if parameter.default is not inspect.Parameter.empty:
            assert parameter.default == theirs[name].default, name
    assert inspect.signature(check_gradients).parameters["n_worst"].default == 5


@pytest.mark.parametrize(("option", "value"), [("check_undefined_grad", False), ("check_forward_ad", True),
                                               ("fast_mode", True), ("masked", True)])
def test_torch_only_options_are_refused_by_name(option, value):
    with pytest.raises(ValueError, match=f"^{option}={value!r} is not supported"):
        gradcheck(A.sigmoid, inputs((2,)), **{option: value})


def test_a_wrong_first_input_fails_even_when_the_last_is_right():
    # SlightlyWrongLinear's weight (input 1) gradient is wrong, its input 0 gradient is right; the
    # reversed argument order puts the wrong one first.
    x, w = inputs((4, 3), (2, 3))
    assert not check_gradients(lambda w_, x_: SlightlyWrongLinear.apply(x_, w_), (w, x)).passed
    assert not gradcheck(lambda w_, x_: SlightlyWrongLinear.apply(x_, w_), (w, x), raise_exception=False)


def test_errors_and_worst_entries_are_exact():
    x, w = inputs((4, 3), (2, 3))
    result = check_gradients(SlightlyWrongLinear.apply, (x, w), n_worst=4)
    analytic = torch.autograd.functional.jacobian(lambda w_: x.detach() @ w_.T, w.detach())  # [4, 2, 2, 3]
    wrong = 1.01 * analytic
    errors = (wrong - analytic).abs()
    assert result.max_abs_error == pytest.approx(errors.max().item(), rel=1e-5)
    assert result.max_rel_error == pytest.approx(0.01 / 2.01, rel=1e-5)
    assert len(result.worst) == 4
    gaps = [abs(m.analytic - m.numeric) for m in result.worst]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] == pytest.approx(errors.max().item(), rel=1e-5)
    for m in result.worst:
        assert m.input_number == 1
        assert m.analytic == pytest.approx(wrong[(*m.out_index, *m.in_index)].item(), rel=1e-12)
        assert m.numeric == pytest.approx(analytic[(*m.out_index, *m.in_index)].item(), rel=1e-6)
        assert m.rel_error == pytest.approx(abs(m.analytic - m.numeric) / (abs(m.analytic) + abs(m.numeric)))
        line = f"input 1 {list(m.in_index)} -> output {list(m.out_index)}: {m.analytic:+.6e}"
        assert line in result.report()
    assert len(check_gradients(SlightlyWrongLinear.apply, (x, w)).worst) == 5  # the default n_worst
    assert check_gradients(SlightlyWrongLinear.apply, (x, w), n_worst=0).worst == []
    ok = check_gradients(A.sigmoid, inputs((3, 4)))
    assert ok.passed and ok.max_abs_error < 1e-8 and ok.max_rel_error < 1e-6



class _ScaleWithOffsetGradient(torch.autograd.Function):
    """y = s * x with s = [100, 100, 0.01]; the backward multiplies by s + [1e-2, 1e-2, 1e-3]."""

    @staticmethod
    def forward(ctx, x):
        return x * torch.tensor([100.0, 100.0, 0.01], dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * torch.tensor([100.01, 100.01, 0.011], dtype=grad.dtype)


@pytest.mark.parametrize("n_worst", [0, 1, 2, 5])
def test_max_relative_error_is_over_the_whole_jacobian_not_the_reported_entries(n_worst):
    # The largest absolute errors (1e-2, on the entries of size 100) have small relative errors;
    # the largest relative error is on the small entry: 1e-3 / (0.011 + 0.01).
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    result = check_gradients(_ScaleWithOffsetGradient.apply, (x,), n_worst=n_worst)
    assert result.max_abs_error == pytest.approx(1e-2, rel=1e-4)
    assert result.max_rel_error == pytest.approx(1e-3 / (0.011 + 0.01), rel=1e-4)
    assert len(result.worst) == min(n_worst, 9)

def test_mismatch_is_frozen_and_its_relative_error_is_cs231ns():
    import dataclasses

    m = check_gradients(WrongSigmoid.apply, inputs((2,)), n_worst=1).worst[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.analytic = 0.0
    zero = type(m)(0, (0,), (0,), 0.0, 0.0)
    assert zero.rel_error == 0.0
    assert type(m)(0, (0,), (0,), 3.0, 1.0).rel_error == 0.5
    assert type(m)(0, (0,), (0,), -3.0, 1.0).rel_error == 1.0
    assert type(m)(0, (0,), (0,), 0.5, 0.25).rel_error == pytest.approx(1 / 3)  # small: no floor


def test_unused_input_and_many_outputs_like_torch():
    x, y = inputs((3,), (2,))

    def fn(a, b):  # b is unused: its gradient is None, its Jacobian zero; several outputs
        return a.exp() * a

    assert gradcheck(fn, (x, y)) and torch.autograd.gradcheck(fn, (x, y))
    assert check_gradients(fn, (x, y)).max_abs_error < 1e-8
    scalar = check_gradients(lambda a: (a * a).sum(), (x,), n_worst=1).worst[0]
    assert scalar.out_index == () and scalar.analytic == pytest.approx(2 * x[scalar.in_index].item())


def test_exact_differences_pass_with_zero_tolerance():
    # f(x) = 3x at x = 1 with eps = 0.5: (4.5 - 1.5) / 1 = 3 exactly, so |a - n| = 0 <= 0 + 0.
    x = torch.ones(2, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a: 3 * a, (x,), eps=0.5, atol=0.0, rtol=0.0)
    # rtol scales with |n| = 3: an error of 0.03 passes rtol=0.01 (0.03 <= 0.03), fails rtol=0.009.
    assert check_gradients(SlightlyWrongScale.apply, (x,), eps=0.5, atol=0.0, rtol=0.01).passed
    assert not check_gradients(SlightlyWrongScale.apply, (x,), eps=0.5, atol=0.0, rtol=0.009).passed


class SlightlyWrongScale(torch.autograd.Function):
    """3x with the derivative 3.03: a 1 % error."""

    @staticmethod
    def forward(ctx, x):
        return 3 * x

    @staticmethod
    def backward(ctx, g):
        return 3.03 * g


@pytest.mark.parametrize("eps", [0.0, -1e-6])
def test_eps_must_be_positive(eps):
    for call in (lambda: check_gradients(A.sigmoid, inputs((2,)), eps=eps),
                 lambda: numerical_jacobian(A.sigmoid, inputs((2,)), eps=eps)):
        with pytest.raises(ValueError, match="eps"):
            call()


def test_negative_n_worst_is_refused():
    with pytest.raises(ValueError, match="n_worst"):
        check_gradients(A.sigmoid, inputs((2,)), n_worst=-1)


def test_a_size_one_stride_zero_input_is_accepted():
    # A dimension of size 1 can have any stride (here 0): nothing is shared, torch accepts it too.
    x = torch.randn(1, 3, dtype=torch.float64).as_strided((1, 3), (0, 1)).clone().as_strided((1, 3), (0, 1))
    x.requires_grad_(True)
    assert x.stride() == (0, 1)
    assert gradcheck(A.sigmoid, (x,)) and torch.autograd.gradcheck(A.sigmoid, (x,))


def test_more_bad_inputs_and_str():
    (x,) = inputs((2,))
    for bad in ([], [x, 3.0]):
        for call in (gradcheck, check_gradients, numerical_jacobian):
            with pytest.raises(TypeError, match=r"^inputs must be a tensor or a sequence of tensors$"):
                call(A.sigmoid, bad)
    with pytest.raises(ValueError, match="nondet_tol"):
        gradcheck(A.sigmoid, (x,), nondet_tol=-1.0)
    result = check_gradients(WrongSigmoid.apply, (x,))
    assert str(result) == result.report() and "worst entries" in str(result)
    assert "worst entries" not in check_gradients(WrongSigmoid.apply, (x,), n_worst=0).report()
