"""The fused layers of nnbasics.fast.recurrent equal the taught ones of nnbasics.recurrent."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbasics import recurrent as R
from nnbasics.fast import recurrent as F

PAIRS = {"lstm": (F.LSTM, R.LSTM), "gru": (F.GRU, R.GRU)}


def _run(layer, x, hx):
    out, state = layer(x, hx)
    states = state if isinstance(state, tuple) else (state,)
    g = torch.Generator().manual_seed(1)
    loss = (out * torch.randn(out.shape, generator=g, dtype=out.dtype)).sum()
    loss = loss + sum((s * s).sum() for s in states)
    inputs = [x, *(hx if isinstance(hx, tuple) else (hx,))] if hx is not None else [x]
    return [out, *states, *torch.autograd.grad(loss, inputs + list(layer.parameters()))]


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(list(PAIRS)), layers=st.integers(1, 2), bidirectional=st.booleans(),
       T=st.integers(1, 5), B=st.integers(1, 3), n_in=st.integers(1, 4), H=st.integers(1, 4),
       double=st.booleans(), bias=st.booleans(), batch_first=st.booleans(), with_state=st.booleans(),
       seed=st.integers(0, 2**16))
def test_fast_layers_equal_the_taught_layers(kind, layers, bidirectional, T, B, n_in, H, double, bias,
                                             batch_first, with_state, seed):
    dtype = torch.float64 if double else torch.float32
    tol = {"rtol": 1e-12, "atol": 1e-12} if double else {"rtol": 1e-5, "atol": 1e-5}
    fast_cls, taught_cls = PAIRS[kind]
    kwargs = dict(num_layers=layers, bidirectional=bidirectional, bias=bias, batch_first=batch_first,
                  dtype=dtype)
    torch.manual_seed(seed)
    taught = taught_cls(n_in, H, **kwargs)
    fast = fast_cls(n_in, H, **kwargs)
    fast.load_state_dict(taught.state_dict())
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((B, T, n_in) if batch_first else (T, B, n_in), generator=g, dtype=dtype)
    hx = None
    if with_state:
        h0 = torch.randn(layers * (1 + bidirectional), B, H, generator=g, dtype=dtype)
        hx = (h0, torch.randn(h0.shape, generator=g, dtype=dtype)) if kind == "lstm" else h0
    def fresh():
        if hx is None:
            return x.clone().requires_grad_(), None
        states = tuple(t.clone().requires_grad_() for t in (hx if isinstance(hx, tuple) else (hx,)))
        return x.clone().requires_grad_(), states if kind == "lstm" else states[0]

    for a, b in zip(_run(fast, *fresh()), _run(taught, *fresh()), strict=True):
        torch.testing.assert_close(a, b, **tol)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_fused_function_passes_gradcheck_both_directions_at_once(mode):
    g = torch.Generator().manual_seed(0)
    D, T, B, n_in, H = 2, 3, 2, 3, 2
    G = R.GATES[mode] * H

    def rand(*shape):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * 0.5).requires_grad_()

    args = [rand(D, T, B, n_in), rand(D, B, H), rand(D, B, H) if mode == "lstm" else None,
            rand(D, G, n_in), rand(D, G, H), rand(D, G), rand(D, G)]
    tensors = [a for a in args if a is not None]

    def f(*ts):
        it = iter(ts)
        return F.FusedRecurrentFunction.apply(mode, *(None if a is None else next(it) for a in args))[:2]

    assert torch.autograd.gradcheck(f, tensors)


def test_a_fast_lstm_with_a_projection_runs_the_taught_loop_and_keeps_the_taught_repr():
    torch.manual_seed(0)
    taught = R.LSTM(3, 5, proj_size=2, bidirectional=True, dtype=torch.float64)
    fast = F.LSTM(3, 5, proj_size=2, bidirectional=True, dtype=torch.float64)
    fast.load_state_dict(taught.state_dict())
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(fast(x)[0], taught(x)[0], rtol=0, atol=0)
    assert repr(fast) == repr(taught) and isinstance(fast, R.LSTM)
