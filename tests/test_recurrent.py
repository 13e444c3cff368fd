"""Tests of nnbasics.recurrent against torch.nn.RNN/LSTM/GRU and torch.nn.utils clipping."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import random_tensor
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnbasics import init, numerics
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


# --- The step Functions, one time step with its hand-written backward -----------------------------

STEP_CELLS = {  # kind: (step Function, torch cell)
    "rnn_tanh": (R.RNNStep, lambda i, h: nn.RNNCell(i, h, nonlinearity="tanh")),
    "rnn_relu": (R.RNNStep, lambda i, h: nn.RNNCell(i, h, nonlinearity="relu")),
    "lstm": (R.LSTMStep, nn.LSTMCell),
    "gru": (R.GRUStep, nn.GRUCell),
}


def _step_args(kind, x, states, w_ih, w_hh, b_ih, b_hh):
    """The step Function's arguments: the GRU keeps b_hh (b_hn sits inside r_t * (.)); the others
    take it in the input projection."""
    if kind == "gru":
        return [x @ w_ih.T + b_ih, *states, w_hh, b_hh]
    return [x @ w_ih.T + b_ih + b_hh, *states, w_hh]


def _extra(kind):
    return {"rnn_tanh": (False,), "rnn_relu": (True,)}.get(kind, ())


def _step_inputs(kind, batch=3, size=2, hidden=4, seed=0):
    torch.manual_seed(seed)
    cell = STEP_CELLS[kind][1](size, hidden).double()
    x = random_tensor((batch, size), torch.float64, seed + 1)
    count = 2 if kind == "lstm" else 1
    states = [random_tensor((batch, hidden), torch.float64, seed + 2 + k) for k in range(count)]
    return cell, x, states


@pytest.mark.parametrize("kind", list(STEP_CELLS))
def test_each_step_function_matches_torchs_cell_values_and_gradients(kind):
    step = STEP_CELLS[kind][0]
    cell, x, states = _step_inputs(kind)
    params = [p.detach().clone().requires_grad_(True) for p in cell.parameters()]
    xs, ss = x.clone().requires_grad_(True), [s.clone().requires_grad_(True) for s in states]
    ours = step.apply(*_step_args(kind, xs, ss, *params), *_extra(kind))
    ours = ours if isinstance(ours, tuple) else (ours,)
    xt, st = x.clone().requires_grad_(True), [s.clone().requires_grad_(True) for s in states]
    theirs = cell(xt, tuple(st) if kind == "lstm" else st[0])
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    weights = [random_tensor(o.shape, torch.float64, 10 + k) for k, o in enumerate(ours)]
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    def weighted(outs):
        return sum((o * w).sum() for o, w in zip(outs, weights, strict=True))

    got = torch.autograd.grad(weighted(ours), [xs, *ss, *params])
    want = torch.autograd.grad(weighted(theirs), [xt, *st, *cell.parameters()])
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", list(STEP_CELLS))
def test_each_step_function_passes_gradcheck_and_refuses_double_backward(kind):
    step, extra = STEP_CELLS[kind][0], _extra(kind)
    cell, x, states = _step_inputs(kind, seed=5)
    args = _step_args(kind, x, states, *[p.detach() for p in cell.parameters()])
    inputs = [t.clone().requires_grad_(True) for t in args]
    assert torch.autograd.gradcheck(lambda *a: step.apply(*a, *extra), inputs)
    out = step.apply(*inputs, *extra)
    h = out[0] if isinstance(out, tuple) else out
    (grad,) = torch.autograd.grad(h.pow(2).sum(), inputs[1], create_graph=True)
    with pytest.raises(RuntimeError, match=r"once_differentiable|twice"):
        grad.sum().backward()


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bias", [True, False])
def test_the_sequence_loops_match_torch_layers(kind, bias):
    # rnn_forward / lstm_forward / gru_forward: one direction of one layer, h0 (and c0) given.
    torch.manual_seed(3)
    theirs = PAIRS[kind][1](2, 3, bias=bias).double()
    x = random_tensor((6, 4, 2), torch.float64, 0)
    states = [random_tensor((4, 3), torch.float64, 1 + k) for k in range(2 if kind == "lstm" else 1)]
    w_ih, w_hh, *biases = theirs.parameters()
    b_ih, b_hh = biases if bias else (None, torch.zeros(w_hh.shape[0], dtype=torch.float64))
    loop = {"rnn": R.rnn_forward, "lstm": R.lstm_forward, "gru": R.gru_forward}[kind]
    out, *last = loop(x, *states, w_ih, w_hh, b_ih, b_hh)
    want_out, want = theirs(x, tuple(s[None] for s in states) if kind == "lstm" else states[0][None])
    torch.testing.assert_close(out, want_out, rtol=1e-12, atol=1e-12)
    for a, b in zip(last, want if kind == "lstm" else (want,), strict=True):
        torch.testing.assert_close(a, b[0], rtol=1e-12, atol=1e-12)
    got = torch.autograd.grad(out.pow(2).sum(), [w_ih, w_hh])
    expected = torch.autograd.grad(want_out.pow(2).sum(), [w_ih, w_hh])
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_parameters_are_found_by_their_torch_names_and_drawn_by_nnbasics_init():
    lstm = R.LSTM(2, 3, num_layers=2, bidirectional=True)
    w_ih, w_hh, b_ih, b_hh, w_hr = lstm._weights(1, "_reverse")
    assert (w_ih, w_hh, b_ih, b_hh) == tuple(getattr(lstm, f"{n}_l1_reverse") for n in (
        "weight_ih", "weight_hh", "bias_ih", "bias_hh")) and w_hr is None
    torch.manual_seed(0)
    ours = R.GRU(2, 4)
    torch.manual_seed(0)
    bound = 1 / 4 ** 0.5
    for p in ours.parameters():  # the same draws, in parameter order, as nnbasics.init.uniform_
        torch.testing.assert_close(p.detach(), torch.empty(p.shape).uniform_(-bound, bound))


@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_saturated_gates_are_finite_and_match_torch(kind, dtype):
    # Input biases of +-1000 push every gate pre-activation to about +-1000 (LSTM's g to +-2000
    # inside tanh x = 2 sigma(2x) - 1): nothing may overflow into inf or NaN.
    torch.manual_seed(0)
    ours_cls, torch_cls = PAIRS[kind]
    theirs = torch_cls(3, 4, bidirectional=True).to(dtype)
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            if name.startswith("bias"):
                p.copy_(1000.0 * torch.randn(p.shape).sign() if "_ih_" in name else torch.zeros(p.shape))
    ours = ours_cls(3, 4, bidirectional=True).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((5, 2, 3), dtype, 0)
    results = run(ours, x, None)
    assert all(torch.isfinite(r).all() for r in results)
    for a, b in zip(results, run(theirs, x, None), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_parameter_gradients_do_not_depend_on_whether_the_input_needs_one():
    # The backward skips the gradient w.r.t. an input that does not need one (the first layer's
    # input, usually); the parameter gradients must not change.
    lstm = R.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    x = random_tensor((5, 2, 3), torch.float64, 0)
    grads = []
    for needs in (True, False):
        out, (h, c) = lstm(x.clone().requires_grad_(needs))
        grads.append(torch.autograd.grad((out * out).sum() + h.sum() + c.sum(), list(lstm.parameters())))
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_outputs_can_be_changed_in_place_before_backward(kind):
    # The outputs are not the tensors saved for the backward pass.
    layer = PAIRS[kind][0](3, 4)
    out, state = layer(torch.randn(5, 2, 3, requires_grad=True))
    h = state[0] if isinstance(state, tuple) else state
    out.mul_(2)
    h.mul_(2)
    (out.sum() + h.sum()).backward()
    assert all(p.grad is not None for p in layer.parameters())


@pytest.mark.parametrize("max_norm", [1.5, 1e3])  # 1e3: above the norm, so nothing is scaled (the clamp)
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = [random_tensor((3, 4), torch.float64, 0), random_tensor((5,), torch.float64, 1)]
    ours = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    theirs = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad, q.grad = g.clone(), g.clone()
    total = R.clip_grad_norm_(ours, max_norm, norm_type)
    expected = nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    torch.testing.assert_close(total, expected)
    assert (total > max_norm) == (max_norm == 1.5)
    for p, q, g in zip(ours, theirs, grads, strict=True):
        torch.testing.assert_close(p.grad, q.grad)
        if max_norm > total:
            assert torch.equal(p.grad, g)  # left exactly as it was


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


# --- Truncated backpropagation through time -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("k", [1, 3, 7, 20])
def test_truncated_forward_gives_the_same_outputs_and_cuts_the_gradient_at_chunk_starts(kind, batch_first, k):
    torch.manual_seed(0)
    layer = getattr(R, kind)(2, 3, batch_first=batch_first).double()
    x = random_tensor((7, 4, 2), torch.float64, 0)
    x = x.transpose(0, 1).contiguous() if batch_first else x
    full, state_full = layer(x)
    cut, state_cut = R.truncated_forward(layer, x, k)
    torch.testing.assert_close(cut, full)
    pairs = zip(state_cut, state_full, strict=True) if kind == "LSTM" else [(state_cut, state_full)]
    for a, b in pairs:
        torch.testing.assert_close(a, b)
    time_dim = 1 if batch_first else 0
    for t in (0, 4, 6):  # the gradient of the output at step t, with respect to every input step s
        x_full, x_cut = x.clone().requires_grad_(), x.clone().requires_grad_()
        layer(x_full)[0].select(time_dim, t).sum().backward()
        R.truncated_forward(layer, x_cut, k)[0].select(time_dim, t).sum().backward()
        for s in range(7):
            got, want = x_cut.grad.select(time_dim, s), x_full.grad.select(time_dim, s)
            if s // k == t // k:  # the same chunk: the whole path lies inside it
                torch.testing.assert_close(got, want)
            else:  # an earlier chunk (the gradient stops at its end) or a later one (no path at all)
                assert torch.count_nonzero(got) == 0
            if s <= t and s // k == t // k:
                assert torch.count_nonzero(want) > 0  # so the check above is not vacuous


def test_truncated_forward_matches_torch_with_detach_and_carries_a_given_state():
    torch.manual_seed(1)
    ours = R.LSTM(2, 3).double()
    theirs = nn.LSTM(2, 3).double()
    theirs.load_state_dict(ours.state_dict())
    x = random_tensor((10, 4, 2), torch.float64, 3)
    h0 = (random_tensor((1, 4, 3), torch.float64, 4), random_tensor((1, 4, 3), torch.float64, 5))
    out, (h, c) = R.truncated_forward(ours, x, 4, h0)
    (out.pow(2).sum() + h.sum() + c.sum()).backward()
    state, outs = h0, []
    for start in range(0, 10, 4):  # torch's usual truncated BPTT: detach the state between chunks
        o, state = theirs(x[start:start + 4], tuple(s.detach() for s in state))
        outs.append(o)
    (torch.cat(outs).pow(2).sum() + state[0].sum() + state[1].sum()).backward()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad)
    full = R.LSTM(2, 3).double()
    full.load_state_dict(ours.state_dict())
    full(x, h0)[0].pow(2).sum().backward()
    assert not torch.allclose(full.weight_hh_l0.grad, ours.weight_hh_l0.grad)  # the cut changed it


def test_truncated_forward_with_k_at_least_t_is_full_bptt_and_unbatched_works():
    torch.manual_seed(2)
    layer = R.GRU(2, 3).double()
    x = random_tensor((5, 2), torch.float64, 6).requires_grad_()  # unbatched (T, I)
    out, _ = R.truncated_forward(layer, x, 5)
    grads = torch.autograd.grad(out[-1].sum(), [x, *layer.parameters()])
    x2 = x.detach().clone().requires_grad_()
    grads_full = torch.autograd.grad(layer(x2)[0][-1].sum(), [x2, *layer.parameters()])
    for a, b in zip(grads, grads_full, strict=True):
        torch.testing.assert_close(a, b)
    assert torch.autograd.gradcheck(lambda v: R.truncated_forward(layer, v, 5)[0], (x,))
    # k = 2 < T: the backward is no longer the derivative of the (unchanged) forward, by design
    cut = torch.autograd.gradcheck(lambda v: R.truncated_forward(layer, v, 2)[0], (x,), raise_exception=False)
    assert not cut


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: R.truncated_forward(R.RNN(2, 3), torch.ones(5, 1, 2), 0), ValueError, "k must be a pos"),
        (lambda: R.truncated_forward(R.RNN(2, 3), torch.ones(5, 1, 2), 2.5), ValueError, "k must be"),
        (lambda: R.truncated_forward(R.LSTM(2, 3, bidirectional=True), torch.ones(5, 1, 2), 2), ValueError,
         "bidirectional"),
        (lambda: R.truncated_forward("lstm", torch.ones(5, 1, 2), 2), TypeError, "module must be a"),
        (lambda: R.truncated_forward(R.RNN(2, 3), [1.0, 2.0], 2), TypeError, "input"),
    ],
)
def test_truncated_forward_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- The character-level language model -------------------------------------------------------------


def test_char_lstm_matches_a_torch_twin_and_continues_from_its_state():
    torch.manual_seed(0)
    ours = R.CharLSTM(7, hidden_size=5, embedding_dim=3).double()
    twin = nn.ModuleDict({"embed": nn.Embedding(7, 3), "lstm": nn.LSTM(3, 5, batch_first=True),
                          "out": nn.Linear(5, 7)}).double()
    twin.load_state_dict(ours.state_dict())  # same parameter names and shapes as torch's modules
    ids = torch.randint(0, 7, (2, 9), generator=torch.Generator().manual_seed(1))
    logits, (h, c) = ours(ids)
    h_ref, (h_last, c_last) = twin["lstm"](twin["embed"](ids))
    torch.testing.assert_close(logits, twin["out"](h_ref), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close((h, c), (h_last, c_last), rtol=1e-12, atol=1e-12)
    assert logits.shape == (2, 9, 7)
    first, state = ours(ids[:, :4])  # the same sequence in two pieces, the state carried over
    second, _ = ours(ids[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), logits, rtol=1e-12, atol=1e-12)


def test_text_batch_windows_are_consecutive_ids_and_their_next_ids():
    ids = torch.arange(100)
    x, y = R.text_batch(ids, batch_size=5, length=8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 8)
    assert torch.equal(y, x + 1)  # ids are 0, 1, 2, ...: every target is its input's successor
    assert torch.equal(x - x[:, :1], torch.arange(8).expand(5, 8))
    assert int(y.max()) <= 99
    again = R.text_batch(ids, 5, 8, torch.Generator().manual_seed(0))
    assert torch.equal(again[0], x)


def test_bits_per_char_is_the_cross_entropy_in_bits_and_keeps_the_mode():
    torch.manual_seed(0)
    model = R.CharLSTM(6, hidden_size=4, embedding_dim=3)
    ids = torch.randint(0, 6, (300,), generator=torch.Generator().manual_seed(2))
    bits = R.bits_per_char(model, ids, torch.Generator().manual_seed(3), batch_size=4, length=10)
    x, y = R.text_batch(ids, 4, 10, torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = nn.functional.cross_entropy(model(x)[0].reshape(-1, 6), y.reshape(-1)).item() / math.log(2)
    assert bits == pytest.approx(expected, rel=1e-6)
    assert model.training
    model.eval()
    R.bits_per_char(model, ids, batch_size=2, length=5)
    assert not model.training


def test_sample_is_reproducible_and_low_temperature_is_greedy():
    torch.manual_seed(0)
    model = R.CharLSTM(8, hidden_size=6, embedding_dim=4)
    prompt = torch.tensor([1, 2, 3])
    out = R.sample(model, prompt, length=12, temperature=1.0, seed=5)
    assert out.shape == (15,) and torch.equal(out[:3], prompt) and int(out.max()) < 8
    assert torch.equal(R.sample(model, prompt, length=12, seed=5), out)
    assert model.training  # restored
    # At a tiny temperature the draw is the most likely id: the same as greedy decoding.
    greedy = prompt.tolist()
    with torch.no_grad():
        for _ in range(12):
            greedy.append(int(model(torch.tensor([greedy]))[0][0, -1].argmax()))
    assert R.sample(model, prompt, length=12, temperature=1e-4, seed=0).tolist() == greedy


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: R.text_batch(torch.arange(10), length=10), ValueError, "at least length + 1 = 11"),
        (lambda m: R.text_batch(torch.arange(10.0)), TypeError, "ids must be a 1-D int64 tensor"),
        (lambda m: R.text_batch(torch.arange(100), batch_size=0), ValueError,
         "batch_size must be a positive int"),
        (lambda m: R.sample(m, torch.tensor([1]), temperature=0.0), ValueError, "temperature must be > 0"),
        (lambda m: R.sample(m, torch.tensor([], dtype=torch.long)), ValueError, "at least one id"),
        (lambda m: R.sample(m, torch.tensor([1]), length=-1), ValueError,
         "length must be a non-negative int"),
        (lambda m: m(torch.tensor([1, 2])), TypeError, "ids must be a 2-D int64 tensor"),
        (lambda m: R.CharLSTM(0), ValueError, "vocab_size must be a positive int"),
    ],
)
def test_language_model_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace("+", r"\+")):
        call(R.CharLSTM(4, hidden_size=3, embedding_dim=2))


def test_text_batch_draws_every_possible_start_including_the_last():
    # 12 ids, windows of length + 1 = 10: the starts 0, 1 and 2 are possible, 2 is the last.
    ids = torch.arange(12)
    x, y = R.text_batch(ids, batch_size=300, length=9, generator=torch.Generator().manual_seed(0))
    assert set(x[:, 0].tolist()) == {0, 1, 2}
    assert int(y.max()) == 11
    x, y = R.text_batch(torch.arange(10), batch_size=4, length=9)  # exactly one window fits
    assert torch.equal(x, torch.arange(9).expand(4, 9))


def test_lstm_cell_rejects_a_state_that_is_not_a_pair():
    cell = R.LSTMCell(3, 4)
    with pytest.raises(TypeError, match=r"pair \(h_0, c_0\)"):
        cell(torch.randn(2, 3), (torch.zeros(2, 4),))
    with pytest.raises(TypeError, match=r"pair \(h_0, c_0\)"):
        cell(torch.randn(2, 3), torch.zeros(2, 4))


@pytest.mark.parametrize("make", [lambda: R.LSTM(3, 4), lambda: R.GRU(3, 4), lambda: R.LSTMCell(3, 4)])
def test_a_dtype_mismatch_is_a_clear_error(make):
    module = make()
    with pytest.raises(TypeError, match=r"input has dtype torch.float64 but .* weights are torch.float32"):
        module(torch.randn(2, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"hx has dtype torch.float64"):
        h = torch.zeros(1, 4, dtype=torch.float64) if not isinstance(module, R.LSTMCell) else None
        if h is None:
            module(torch.randn(2, 3), (torch.zeros(2, 4, dtype=torch.float64), torch.zeros(2, 4)))
        elif isinstance(module, R.LSTM):
            module(torch.randn(2, 3), (h, torch.zeros(1, 4)))
        else:
            module(torch.randn(2, 3), h)


# --- LSTM with a projection (proj_size), device/dtype factory arguments -----------------------------


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_lstm_proj_size_matches_torch(bidirectional, batch_first, bias):
    torch.manual_seed(0)
    kwargs = dict(num_layers=2, proj_size=2, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional, dtype=torch.float64)
    theirs, ours = nn.LSTM(3, 5, **kwargs), R.LSTM(3, 5, **kwargs)
    ours.load_state_dict(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    directions = 2 if bidirectional else 1
    x = random_tensor((4, 6, 3), torch.float64, 0)
    batch = 4 if batch_first else 6
    hx = (random_tensor((2 * directions, batch, 2), torch.float64, 1),
          random_tensor((2 * directions, batch, 5), torch.float64, 2))
    for a, b in zip(run(ours, x, hx), run(theirs, x, hx), strict=True):
        torch.testing.assert_close(a, b)
    # without a state, and unbatched
    for a, b in zip(run(ours, x, None), run(theirs, x, None), strict=True):
        torch.testing.assert_close(a, b)
    for a, b in zip(run(ours, x[0], None), run(theirs, x[0], None), strict=True):
        torch.testing.assert_close(a, b)


def test_lstm_proj_size_gradcheck_and_clear_path():
    lstm = R.LSTM(2, 4, num_layers=2, proj_size=3, bidirectional=True, dtype=torch.float64)
    assert lstm.weight_hr_l1_reverse.shape == (3, 4) and lstm.weight_hh_l0.shape == (16, 3)
    x = random_tensor((3, 2, 2), torch.float64, 3).requires_grad_(True)
    h0 = random_tensor((4, 2, 3), torch.float64, 4).requires_grad_(True)
    c0 = random_tensor((4, 2, 4), torch.float64, 5).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda *a: lstm(a[0], (a[1], a[2]))[0], (x, h0, c0))
    w_hr = lstm.weight_hr_l0
    assert torch.autograd.gradcheck(lambda w: torch.func.functional_call(
        lstm, {"weight_hr_l0": w}, (x.detach(),))[0], (w_hr.detach().clone().requires_grad_(),))
    assert "proj_size=3" in repr(lstm)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: R.LSTM(3, 4, proj_size=4), r"proj_size must be smaller than hidden_size \(4\)"),
        (lambda: R.LSTM(3, 4, proj_size=-1), "proj_size must be a non-negative int"),
        (lambda: R.LSTM(3, 4, proj_size=2)(torch.ones(5, 2, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))),
         r"h_0 must have shape \(1, 2, 2\)"),
        (lambda: R.LSTM(3, 4, proj_size=2)(torch.ones(5, 2, 3), (torch.zeros(1, 2, 2), torch.zeros(1, 2, 2))),
         r"c_0 must have shape \(1, 2, 4\)"),
    ],
)
def test_lstm_proj_size_errors_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("kind", list(PAIRS))
def test_factory_dtype_and_device_like_torch(kind):
    ours = PAIRS[kind][0](3, 4, dtype=torch.float64, device="cpu")
    theirs = PAIRS[kind][1](3, 4, dtype=torch.float64, device="cpu")
    assert {p.dtype for p in ours.parameters()} == {torch.float64}
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, p.shape) for n, p in theirs.named_parameters()]
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((5, 2, 3), torch.float64, 6)
    for a, b in zip(run(ours, x, None), run(theirs, x, None), strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize(("ours", "theirs"), [(R.RNNCell, nn.RNNCell), (R.LSTMCell, nn.LSTMCell),
                                              (R.GRUCell, nn.GRUCell)])
def test_cell_factory_dtype_and_device_like_torch(ours, theirs):
    cell = ours(3, 4, dtype=torch.float64, device="cpu")
    twin = theirs(3, 4, dtype=torch.float64, device="cpu")
    assert {p.dtype for p in cell.parameters()} == {torch.float64}
    cell.load_state_dict(twin.state_dict())
    x = random_tensor((2, 3), torch.float64, 7)
    for a, b in zip(torch.atleast_1d(cell(x)), torch.atleast_1d(twin(x)), strict=True):
        torch.testing.assert_close(a, b)


# --- How far back the gradient reaches: input_gradients and state_jacobians ------------------------


def test_input_gradients_are_the_norms_of_autograds_gradient_of_the_last_output():
    torch.manual_seed(0)
    lstm = R.LSTM(3, 5, dtype=torch.float64)
    norms = R.input_gradients(lstm, steps=9, input_size=3, seed=4, dtype=torch.float64)
    x = torch.randn(9, 1, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    grad = torch.autograd.functional.jacobian(lambda x: lstm(x)[0][-1].sum(), x)  # (9, 1, 3)
    expected = grad.norm(dim=(1, 2)).flip(0)
    assert norms.shape == (9,) and (norms - expected).abs().max() < 1e-10
    assert all(p.grad is None for p in lstm.parameters())  # the layer's gradients are left alone
    assert torch.equal(R.input_gradients(lstm, 9, 3, seed=4, dtype=torch.float64), norms)
    assert not torch.equal(R.input_gradients(lstm, 9, 3, seed=5, dtype=torch.float64), norms)


def test_input_gradients_index_k_is_the_input_k_steps_back():
    # 3 x: only the last input reaches the last output, 3 sqrt(I) in norm; a running sum: each, sqrt(I).
    only_last = R.input_gradients(lambda x: 3 * x, steps=6, input_size=4)
    assert only_last[0].item() == pytest.approx(6.0) and (only_last[1:] == 0).all()
    running_sum = R.input_gradients(lambda x: (x.cumsum(0), "a state"), steps=6, input_size=4)
    torch.testing.assert_close(running_sum, torch.full((6,), 2.0))
    weighted = R.input_gradients(lambda x: x * torch.arange(1.0, 7.0)[:, None, None], steps=6, input_size=1)
    assert weighted.tolist() == [6.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def rnn_states(nonlinearity, gain, steps=12, hidden=5):
    torch.manual_seed(0)
    rnn = R.RNN(3, hidden, nonlinearity=nonlinearity, dtype=torch.float64)
    init.orthogonal_(rnn.weight_hh_l0, gain=gain)
    x = torch.randn(steps, 1, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        hs, _ = rnn(x)
    return rnn, x, hs


@pytest.mark.parametrize(("nonlinearity", "gain"), [("tanh", 0.8), ("tanh", 2.0), ("relu", 1.0)])
def test_state_jacobians_are_autograds_jacobians_of_the_last_state(nonlinearity, gain):
    rnn, x, hs = rnn_states(nonlinearity, gain)
    T, H = hs.shape[0], hs.shape[2]
    J = R.state_jacobians(hs[:, 0], rnn.weight_hh_l0.detach(), nonlinearity)
    assert J.shape == (T, H, H)
    for k in range(1, T + 1):  # dh_T / dh_(T-k): run the last k steps from h_(T-k)
        start = torch.zeros(1, 1, H, dtype=torch.float64) if k == T else hs[None, T - k - 1]
        auto = torch.autograd.functional.jacobian(lambda h, k=k: rnn(x[T - k:], h)[1][0, 0], start)[:, 0, 0]
        scale = max(1.0, auto.abs().max().item())  # gain 2 grows J_k: compare relative to its largest entry
        assert (auto - J[k - 1]).abs().max() < 1e-10 * scale
        assert (torch.linalg.svdvals(J[k - 1]) - torch.linalg.svdvals(auto)).abs().max() < 1e-10 * scale


def test_state_jacobians_of_a_linear_step_are_the_powers_of_w_hh():
    # States in the middle of ReLU's linear part: every D_s = I, so J_k = W_hh^k.
    w = init.orthogonal_(torch.empty(4, 4, dtype=torch.float64), 0.9, torch.Generator().manual_seed(0))
    J = R.state_jacobians(torch.ones(7, 4, dtype=torch.float64), w, "relu")
    for k in range(1, 8):
        assert (J[k - 1] - torch.linalg.matrix_power(w, k)).abs().max() < 1e-12


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: R.input_gradients("LSTM"), TypeError, "layer must be a layer or a function"),
        (lambda: R.input_gradients(lambda x: x, steps=0), ValueError, "steps must be a positive int"),
        (lambda: R.input_gradients(lambda x: x, input_size=1.5), ValueError,
         "input_size must be a positive int"),
        (lambda: R.input_gradients(lambda x: x[:3], steps=5), ValueError,
         r"layer must return the outputs of the 5 steps.*got shape \(3, 1, 4\)"),
        (lambda: R.input_gradients(lambda x: x.detach()), ValueError, "computed with gradients"),
        (lambda: R.input_gradients(lambda x: [x]), ValueError, "got list"),
        (lambda: R.input_gradients(lambda x: torch.ones_like(x).requires_grad_()), ValueError,
         "does not depend on its input"),
        (lambda: R.state_jacobians(torch.ones(3, 2, 4), torch.eye(4)), ValueError,
         r"hs must be the states of one sequence, \(T, H\)"),
        (lambda: R.state_jacobians(torch.ones(3, 4), torch.eye(3)), ValueError,
         r"w_hh must be \(H, H\) = \(4, 4\)"),
        (lambda: R.state_jacobians(torch.ones(3, 4, dtype=torch.long), torch.eye(4)), TypeError,
         "hs must be a floating-point tensor"),
        (lambda: R.state_jacobians(torch.ones(3, 4), torch.eye(4), "sigmoid"), ValueError,
         "nonlinearity must be one of 'tanh', 'relu'"),
        (lambda: R.state_jacobians(torch.ones(3, 4), torch.eye(4, dtype=torch.float64)), TypeError,
         "w_hh must have the dtype of hs, torch.float32, got torch.float64"),
    ],
)
def test_gradient_through_time_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- The language model's training loop -------------------------------------------------------------


def periodic_text(n=3000, period=7):
    """Ids of a text that repeats every ``period`` characters, with a little noise: easy to learn."""
    ids = torch.arange(n) % period
    noise = torch.rand(n, generator=torch.Generator().manual_seed(0)) < 0.05
    return torch.where(noise, torch.full_like(ids, period), ids)


def reference_loop(model, optimizer, train_ids, val_ids, steps, max_norm):
    """The loop written out with torch's own loss and clipping (the language-model page's loop)."""
    batches, val_batches = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    curve = []
    for step in range(1, steps + 1):
        x, y = R.text_batch(train_ids, 8, 12, batches)
        logits, _ = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        if step % 5 == 0:
            x, y = R.text_batch(val_ids, 16, 20, val_batches)
            with torch.no_grad():
                val_logits, _ = model(x)
                val = nn.functional.cross_entropy(val_logits.reshape(-1, val_logits.shape[-1]), y.reshape(-1))
            curve.append((step, loss.item() / math.log(2), val.item() / math.log(2)))
    return curve


@pytest.mark.parametrize("max_norm", [0.01, None])  # 0.01: small enough that clipping changes every step
def test_train_language_model_is_the_loop_written_with_torchs_loss_and_clipping(max_norm):
    ids = periodic_text()
    models = []
    for _ in range(2):
        torch.manual_seed(0)
        models.append(R.CharLSTM(8, hidden_size=6, embedding_dim=4).double())
    ours = R.train_language_model(models[0], torch.optim.Adam(models[0].parameters(), lr=1e-2), ids[:2500],
                                  ids[2500:], steps=15, batch_size=8, length=12, max_norm=max_norm,
                                  eval_every=5, val_batch_size=16, val_length=20, progress=False)
    theirs = reference_loop(models[1], torch.optim.Adam(models[1].parameters(), lr=1e-2), ids[:2500],
                            ids[2500:], steps=15, max_norm=max_norm)
    assert [step for step, _, _ in ours] == [5, 10, 15]
    for (_, train_a, val_a), (_, train_b, val_b) in zip(ours, theirs, strict=True):
        assert train_a == pytest.approx(train_b, rel=1e-10) and val_a == pytest.approx(val_b, rel=1e-10)
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-12)
    assert models[0].training


def test_train_language_model_learns_a_periodic_text_and_repeats_itself():
    ids = periodic_text()
    curves = []
    for _ in range(2):
        torch.manual_seed(0)
        model = R.CharLSTM(8, hidden_size=16, embedding_dim=4)
        untrained = R.bits_per_char(model, ids[2500:], torch.Generator().manual_seed(2), 32, 16)
        curves.append(R.train_language_model(model, torch.optim.Adam(model.parameters(), lr=2e-2), ids[:2500],
                                             ids[2500:], steps=40, batch_size=16, length=16, eval_every=20,
                                             val_batch_size=32, val_length=16, progress=False))
    assert curves[0] == curves[1]  # the same seeds: the same batches, the same windows, the same numbers
    assert [step for step, _, _ in curves[0]] == [20, 40]
    assert untrained > 2.5  # log2(8) = 3 bits for a uniform guess
    assert curves[0][-1][2] < 1.0 and curves[0][-1][1] < 1.0  # a 5 % noise on a period of 7 costs about 0.4


def lm():
    torch.manual_seed(0)
    return R.CharLSTM(4, hidden_size=3, embedding_dim=2)


def adam(model):
    return torch.optim.Adam(model.parameters())


TEXT = torch.arange(4).repeat(50)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: R.train_language_model("m", adam(m), TEXT, TEXT), TypeError,
         "model must be a torch.nn.Module"),
        (lambda m: R.train_language_model(m, "adam", TEXT, TEXT), TypeError,
         "optimizer must be a torch.optim.Optimizer"),
        (lambda m: R.train_language_model(m, adam(m), torch.arange(4.0), TEXT), TypeError,
         "train_ids must be a 1-D int64 tensor"),
        (lambda m: R.train_language_model(m, adam(m), TEXT, TEXT[None]), TypeError,
         "val_ids must be a 1-D int64 tensor"),
        (lambda m: R.train_language_model(m, adam(m), TEXT, TEXT, steps=0), ValueError,
         "steps must be a positive int"),
        (lambda m: R.train_language_model(m, adam(m), TEXT, TEXT, eval_every=0), ValueError,
         "eval_every must be a positive int"),
        (lambda m: R.train_language_model(m, adam(m), TEXT, TEXT, max_norm=-1.0), ValueError,
         r"max_norm must be >= 0\.0"),
        (lambda m: R.train_language_model(m, adam(m), TEXT, TEXT, seed=-1), ValueError,
         "seed must be a non-negative int"),
        (lambda m: R.train_language_model(m, adam(m), TEXT[:40], TEXT), ValueError,
         "train_ids must hold at least 65 characters"),
        (lambda m: R.train_language_model(m, adam(m), TEXT, TEXT[:40]), ValueError,
         "val_ids must hold at least 129 characters"),
    ],
)
def test_train_language_model_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call(lm())


@pytest.mark.parametrize("batch_first", [True, False])
def test_lstm_gates_are_the_gates_of_the_layers_own_steps(batch_first):
    torch.manual_seed(0)
    ours = R.LSTM(3, 5, batch_first=batch_first, dtype=torch.float64)
    x = torch.randn(4, 7, 3, dtype=torch.float64)  # (N, T, I) or (T, N, I)
    i, f, g, o = R.lstm_gates(ours, x)
    assert i.shape == (4, 7, 5) and not i.requires_grad
    seq = x.transpose(0, 1) if batch_first else x
    to_time = (lambda t: t.transpose(0, 1)) if batch_first else (lambda t: t)
    i, f, g, o = map(to_time, (i, f, g, o))  # (T, N, H)
    # torch's formulas on the same weights, with torch's own LSTM supplying h_{t-1}
    theirs = nn.LSTM(3, 5, dtype=torch.float64)
    theirs.load_state_dict(ours.state_dict())
    hs, _ = theirs(seq)
    h_prev = torch.cat([torch.zeros(1, *hs.shape[1:], dtype=torch.float64), hs[:-1]])
    a = seq @ ours.weight_ih_l0.T + ours.bias_ih_l0 + h_prev @ ours.weight_hh_l0.T + ours.bias_hh_l0
    a_i, a_f, a_g, a_o = a.detach().chunk(4, dim=2)
    for gate, expected in ((i, torch.sigmoid(a_i)), (f, torch.sigmoid(a_f)), (g, torch.tanh(a_g)),
                           (o, torch.sigmoid(a_o))):
        torch.testing.assert_close(gate, expected, rtol=1e-12, atol=1e-12)
    # and the layer's own outputs, exactly, from c_t = f c + i g and h_t = o tanh c_t
    c, out = torch.zeros_like(i[0]), ours(x)[0]
    for t in range(len(seq)):
        c = f[t] * c + i[t] * g[t]
        assert torch.equal(o[t] * numerics.tanh(c), to_time(out)[t].detach())


@pytest.mark.parametrize(("layer", "x", "error", "message"), [
    (R.LSTM(2, 3, bidirectional=True), torch.zeros(4, 1, 2), TypeError, "one-direction"),
    (R.LSTM(2, 3, num_layers=2), torch.zeros(4, 1, 2), TypeError, "one-layer"),
    (R.GRU(2, 3), torch.zeros(4, 1, 2), TypeError, "LSTM"),
    (R.LSTM(2, 3), torch.zeros(4, 2), ValueError, r"input must be a batch of sequences \[T, N, 2\]"),
    (R.LSTM(2, 3, batch_first=True), torch.zeros(1, 4, 5), ValueError, r"\[N, T, 2\], got \(1, 4, 5\)"),
])
def test_lstm_gates_refuses_what_it_cannot_read(layer, x, error, message):
    with pytest.raises(error, match=message):
        R.lstm_gates(layer, x)
