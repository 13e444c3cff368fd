"""Tests of nnbasics.recurrent against torch.nn.RNN/LSTM/GRU and torch.nn.utils clipping."""

from __future__ import annotations

import pytest
import torch
from conftest import random_tensor
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnbasics import recurrent as R

PAIRS = {"rnn": (R.RNN, nn.RNN), "lstm": (R.LSTM, nn.LSTM), "gru": (R.GRU, nn.GRU)}


def run(module, x, hx):
    x = x.clone().requires_grad_(True)
    if hx is not None:
        hx = (
            tuple(h.clone().requires_grad_(True) for h in hx)
            if isinstance(hx, tuple)
            else hx.clone().requires_grad_(True)
        )
    out, state = module(x, hx)
    states = state if isinstance(state, tuple) else (state,)
    loss = (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum()
    loss = loss + sum((s * 0.7).sum() for s in states)
    inputs = [x, *((hx if isinstance(hx, tuple) else (hx,)) if hx is not None else ())]
    grads = torch.autograd.grad(loss, inputs + list(module.parameters()))
    return [out.detach(), *[s.detach() for s in states], *grads]


@pytest.mark.parametrize("kind", list(PAIRS))
@given(
    seed=st.integers(0, 10**6),
    steps=st.integers(1, 5),
    batch=st.integers(1, 3),
    size=st.integers(1, 4),
    hidden=st.integers(1, 4),
    layers=st.integers(1, 2),
    batch_first=st.booleans(),
    bidirectional=st.booleans(),
    bias=st.booleans(),
    with_state=st.booleans(),
    relu=st.booleans(),
)
def test_layers_match_torch(
    kind, seed, steps, batch, size, hidden, layers, batch_first, bidirectional, bias, with_state, relu
):
    ours_cls, torch_cls = PAIRS[kind]
    kwargs = dict(num_layers=layers, batch_first=batch_first, bidirectional=bidirectional, bias=bias)
    if kind == "rnn":
        kwargs["nonlinearity"] = "relu" if relu else "tanh"
    torch.manual_seed(seed)
    theirs = torch_cls(size, hidden, **kwargs).double()
    ours = ours_cls(size, hidden, **kwargs).double()
    ours.load_state_dict(theirs.state_dict())
    shape = (batch, steps, size) if batch_first else (steps, batch, size)
    x = random_tensor(shape, torch.float64, seed)
    hx = None
    if with_state:
        h0 = random_tensor((layers * (1 + bidirectional), batch, hidden), torch.float64, seed + 1)
        hx = (h0, random_tensor(h0.shape, torch.float64, seed + 2)) if kind == "lstm" else h0
    for a, b in zip(run(ours, x, hx), run(theirs, x, hx), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_unbatched_input_and_repr(kind):
    ours_cls, torch_cls = PAIRS[kind]
    torch.manual_seed(0)
    theirs = torch_cls(3, 4, num_layers=2).double()
    ours = ours_cls(3, 4, num_layers=2).double()
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((5, 3), torch.float64, 0)
    for a, b in zip(run(ours, x, None), run(theirs, x, None), strict=True):
        torch.testing.assert_close(a, b)
    assert repr(ours) == repr(theirs)


CELLS = [(R.RNNCell, nn.RNNCell), (R.LSTMCell, nn.LSTMCell), (R.GRUCell, nn.GRUCell)]


@pytest.mark.parametrize(("ours_cls", "torch_cls"), CELLS)
def test_cells_match_torch_and_gradcheck(ours_cls, torch_cls):
    torch.manual_seed(1)
    theirs = torch_cls(3, 4).double()
    ours = ours_cls(3, 4).double()
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((2, 3), torch.float64, 3)
    h = random_tensor((2, 4), torch.float64, 4)
    hx = (h, h * 0.5) if ours_cls is R.LSTMCell else h
    out_o, out_t = ours(x, hx), theirs(x, hx)
    for a, b in zip(
        out_o if isinstance(out_o, tuple) else (out_o,),
        out_t if isinstance(out_t, tuple) else (out_t,),
        strict=True,
    ):
        torch.testing.assert_close(a, b)
    xs = x.clone().requires_grad_(True)
    hs = h.clone().requires_grad_(True)

    def f(xv, hv):
        out = ours(xv, (hv, hv * 0.5) if ours_cls is R.LSTMCell else hv)
        return torch.cat(out, dim=1) if isinstance(out, tuple) else out

    assert torch.autograd.gradcheck(f, (xs, hs))


def test_gradcheck_through_time():
    lstm = R.LSTM(2, 3, num_layers=2, bidirectional=True).double()
    x = random_tensor((4, 2, 2), torch.float64, 0).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: lstm(t)[0], (x,))
    gru = R.GRU(2, 3).double()
    assert torch.autograd.gradcheck(lambda t: gru(t)[1], (x,))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type):
    grads = [random_tensor((3, 4), torch.float64, 0), random_tensor((5,), torch.float64, 1)]
    ours = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    theirs = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad, q.grad = g.clone(), g.clone()
    total = R.clip_grad_norm_(ours, 1.5, norm_type)
    expected = nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
    torch.testing.assert_close(total, expected)
    for p, q in zip(ours, theirs, strict=True):
        torch.testing.assert_close(p.grad, q.grad)


def test_clip_grad_value_matches_torch():
    g = random_tensor((4, 4), torch.float64, 2)
    p, q = nn.Parameter(torch.zeros(4, 4)), nn.Parameter(torch.zeros(4, 4))
    p.grad, q.grad = g.clone().float(), g.clone().float()
    R.clip_grad_value_([p], 0.5)
    nn.utils.clip_grad_value_([q], 0.5)
    torch.testing.assert_close(p.grad, q.grad)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: R.LSTM(3, 4)(torch.ones(2, 2, 2, 2)), ValueError, "expects input of shape"),
        (lambda: R.GRU(3, 4)(torch.ones(5, 2, 7)), ValueError, "input_size mismatch"),
        (lambda: R.RNN(3, 4)(torch.ones(5, 2, 3), torch.ones(1, 3, 4)), ValueError, "h_0 must have shape"),
        (lambda: R.LSTM(3, 4)(torch.ones(5, 2, 3), torch.ones(1, 2, 4)), TypeError, r"pair \(h_0, c_0\)"),
        (lambda: R.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "nonlinearity must be one of"),
        (lambda: R.LSTM(3, 4, dropout=0.5), ValueError, "dropout between recurrent layers"),
        (lambda: R.GRU(0, 4), ValueError, "input_size must be a positive int"),
        (lambda: R.LSTMCell(3, 4)(torch.ones(2, 5)), ValueError, r"expects input of shape \[B, 3\]"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
