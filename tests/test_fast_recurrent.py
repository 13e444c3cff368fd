"""The fused recurrent kernels of nnbasics.fast.recurrent equal the clear ones of nnbasics.recurrent."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbasics import recurrent as R
from nnbasics.fast.recurrent import FusedRecurrentFunction

MODES = ["lstm", "gru", "rnn_tanh", "rnn_relu"]


def _inputs(mode, D, T, B, n_in, H, dtype, seed, bias=True):
    g = torch.Generator().manual_seed(seed)
    G = R.GATES[mode] * H

    def rand(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=dtype) * scale).requires_grad_()

    x, h0 = rand(D, T, B, n_in), rand(D, B, H)
    c0 = rand(D, B, H) if mode == "lstm" else None
    weights = [rand(D, G, n_in, scale=0.5), rand(D, G, H, scale=0.5)]
    biases = [rand(D, G), rand(D, G)] if bias else [None, None]
    return x, h0, c0, *weights, *biases


def _run(function, mode, args):
    outputs = function.apply(mode, *args)
    out, h, c = outputs
    g = torch.Generator().manual_seed(1)
    loss = (out * torch.randn(out.shape, generator=g, dtype=out.dtype)).sum() + (h * h).sum()
    if mode == "lstm":
        loss = loss + c.sum()
    tensors = [a for a in args if a is not None]
    grads = torch.autograd.grad(loss, tensors)
    return outputs, grads


@settings(max_examples=25, deadline=None)
@given(mode=st.sampled_from(MODES), D=st.integers(1, 2), T=st.integers(1, 5), B=st.integers(1, 3),
       n_in=st.integers(1, 4), H=st.integers(1, 4), double=st.booleans(), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_fused_equals_clear_values_and_gradients(mode, D, T, B, n_in, H, double, bias, seed):
    dtype = torch.float64 if double else torch.float32
    tol = {"rtol": 1e-12, "atol": 1e-12} if double else {"rtol": 1e-5, "atol": 1e-5}
    args = _inputs(mode, D, T, B, n_in, H, dtype, seed, bias)
    clear, clear_grads = _run(R.RecurrentFunction, mode, args)
    fast, fast_grads = _run(FusedRecurrentFunction, mode, args)
    for a, b in zip(clear, fast, strict=True):
        torch.testing.assert_close(b, a, **tol)
    for a, b in zip(clear_grads, fast_grads, strict=True):
        torch.testing.assert_close(b, a, **tol)


@pytest.mark.parametrize("function", [R.RecurrentFunction, FusedRecurrentFunction])
@pytest.mark.parametrize("mode", MODES)
def test_both_pass_gradcheck(function, mode):
    args = _inputs(mode, 2, 3, 2, 3, 2, torch.float64, 0)
    assert torch.autograd.gradcheck(lambda *a: function.apply(mode, *a)[:2], args)


@pytest.mark.parametrize("cls", [R.LSTM, R.GRU])
def test_layers_that_dispatch_to_the_fast_path_equal_the_clear_path(cls):
    torch.manual_seed(0)
    layer = cls(3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)

    def run():
        out, state = layer(x)
        h = state[0] if isinstance(state, tuple) else state
        loss = out.pow(2).sum() + h.sum()
        return [out, *torch.autograd.grad(loss, [x, *layer.parameters()])]

    fast = run()
    assert layer.fast
    layer.fast = False
    clear = run()
    for a, b in zip(clear, fast, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-12)
