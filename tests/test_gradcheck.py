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


def test_expanded_input_is_refused_like_torch():
    x = torch.randn(3, 1, dtype=torch.float64, requires_grad=True).expand(3, 4)
    with pytest.raises(ValueError, match=r"inputs\[0\].*stride 0"):
        gradcheck(torch.sin, x)
    with pytest.raises(RuntimeError, match="stride 0"):
        torch.autograd.gradcheck(torch.sin, (x,))
