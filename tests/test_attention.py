"""Tests of nnbasics.attention against torch (SDPA, MultiheadAttention, TransformerEncoderLayer),
by gradcheck, by statistics (dropout) and by the formulas (positional encoding, causality)."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from conftest import TOL, random_tensor
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnbasics import attention as A
from nnbasics import losses, optim
from nnbasics import recurrent as R

# float32 attention goes through exp and two matrix products: the gradients of torch's float32 run
# and of ours are each ~1e-6 from float64's on these inputs (entries ~N(0, 1)), so the float32
# comparison allows that round-off; float64 uses the suite's tolerances.
TOL_ATTN = {torch.float32: {"rtol": 1e-4, "atol": 1e-5}, torch.float64: TOL[torch.float64]}


def _values_and_grads(fn, tensors, grad_seed=0):
    """``fn(*tensors)`` and the gradients of a random weighting of it with respect to every
    floating-point tensor (bool masks are passed as they are)."""
    leaves = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in tensors]
    out = fn(*leaves)
    weight = random_tensor(out.shape, out.dtype, grad_seed, scale=1.0)
    grads = torch.autograd.grad(out, [t for t in leaves if t.requires_grad], weight)
    return [out.detach(), *grads]


def assert_matches_torch(ours, theirs, tensors, dtype):
    for a, b in zip(_values_and_grads(ours, tensors), _values_and_grads(theirs, tensors), strict=True):
        assert a.shape == b.shape
        assert not a.isnan().any()
        torch.testing.assert_close(a, b, **TOL_ATTN[dtype])


# --- scaled_dot_product_attention against torch ---------------------------------------------------

# How each of query, key, value and the mask spans the batch (B, H): fully, broadcast along one
# dimension, or with fewer dimensions.
BATCH_FORMS = {"full": lambda b, h: (b, h), "one head": lambda b, h: (b, 1), "one batch": lambda b, h: (1, h),
               "heads only": lambda b, h: (h,), "none": lambda b, h: ()}


def _mask_batch(form: str, scores_batch: tuple[int, ...]) -> tuple[int, ...]:
    """The mask's batch shape: a form of the scores' own (a mask may not widen them; torch refuses)."""
    b, h = (1,) * (2 - len(scores_batch)) + tuple(scores_batch)
    shape = BATCH_FORMS[form](b, h)
    return shape[max(0, len(shape) - len(scores_batch)):]  # no more dimensions than the scores


MASKS = ("none", "bool", "bool, rows fully masked", "float", "float with -inf", "causal")


@given(seed=st.integers(0, 10**6), b=st.integers(1, 3), h=st.integers(1, 3), L=st.integers(1, 5),
       S=st.integers(1, 6), E=st.integers(1, 5), Ev=st.integers(1, 4),
       forms=st.tuples(*[st.sampled_from(list(BATCH_FORMS))] * 4), mask=st.sampled_from(MASKS),
       scale=st.sampled_from([None, 0.3, 2.0]), dtype=st.sampled_from([torch.float32, torch.float64]))
def test_sdpa_matches_torch(seed, b, h, L, S, E, Ev, forms, mask, scale, dtype):
    q_form, k_form, v_form = (BATCH_FORMS[f](b, h) for f in forms[:3])
    m_form = _mask_batch(forms[3], torch.broadcast_shapes(q_form, k_form))
    q = random_tensor((*q_form, L, E), dtype, seed, scale=1.0)
    k = random_tensor((*k_form, S, E), dtype, seed + 1, scale=1.0)
    v = random_tensor((*v_form, S, Ev), dtype, seed + 2, scale=1.0)
    tensors, kwargs = [q, k, v], {"scale": scale}
    if mask == "causal":
        kwargs["is_causal"] = True
    elif mask != "none":
        g = torch.Generator().manual_seed(seed + 3)
        allowed = torch.rand((*m_form, L, S), generator=g) < 0.7
        if mask == "bool, rows fully masked":
            allowed[..., 0, :] = False
        if mask.startswith("bool"):
            kwargs["attn_mask"] = allowed
        else:
            float_mask = random_tensor((*m_form, L, S), dtype, seed + 4, scale=1.0)
            tensors.append(float_mask.masked_fill(~allowed, -math.inf) if "inf" in mask else float_mask)

    def call(sdpa):
        return lambda q, k, v, *m: sdpa(q, k, v, *m, **kwargs)

    assert_matches_torch(call(A.scaled_dot_product_attention), call(F.scaled_dot_product_attention),
                         tensors, dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("heads", "k_heads", "v_heads"), [(6, 2, 2), (6, 2, 3), (4, 1, 4), (4, 4, 4)])
def test_sdpa_grouped_query_attention_matches_torch(dtype, heads, k_heads, v_heads):
    q = random_tensor((2, heads, 3, 4), dtype, 0, scale=1.0)
    k = random_tensor((2, k_heads, 5, 4), dtype, 1, scale=1.0)
    v = random_tensor((2, v_heads, 5, 3), dtype, 2, scale=1.0)
    assert_matches_torch(lambda *t: A.scaled_dot_product_attention(*t, is_causal=True, enable_gqa=True),
                         lambda *t: F.scaled_dot_product_attention(*t, is_causal=True, enable_gqa=True),
                         [q, k, v], dtype)


def test_sdpa_is_causal_is_the_top_left_lower_triangle():
    q, k, v = (random_tensor(s, torch.float64, i) for i, s in enumerate([(5, 3), (3, 3), (3, 2)]))
    tril = torch.ones(5, 3, dtype=torch.bool).tril()
    torch.testing.assert_close(A.scaled_dot_product_attention(q, k, v, is_causal=True),
                               A.scaled_dot_product_attention(q, k, v, tril))
    # the first query sees the first key only
    torch.testing.assert_close(A.scaled_dot_product_attention(q, k, v, is_causal=True)[0], v[0])


def test_fully_masked_rows_give_zeros_and_zero_gradients_like_torch():
    q, k, v = (random_tensor(s, torch.float64, i) for i, s in enumerate([(2, 4, 3), (2, 5, 3), (2, 5, 2)]))
    bool_mask = torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(0)) < 0.6
    bool_mask[:, 1] = False  # query 1 may attend to no key
    float_mask = torch.zeros(2, 4, 5, dtype=torch.float64).masked_fill(~bool_mask, -math.inf)
    for mask in (bool_mask, float_mask):
        ours = _values_and_grads(lambda *t, m=mask: A.scaled_dot_product_attention(*t, m), [q, k, v])
        theirs = _values_and_grads(lambda *t, m=mask: F.scaled_dot_product_attention(*t, m), [q, k, v])
        assert torch.equal(ours[0][:, 1], torch.zeros(2, 2, dtype=torch.float64))
        assert torch.equal(ours[1][:, 1], torch.zeros(2, 3, dtype=torch.float64))  # no gradient to query 1
        for a, b in zip(ours, theirs, strict=True):
            assert not a.isnan().any()
            torch.testing.assert_close(a, b, **TOL[torch.float64])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_is_stable_at_scores_of_plus_minus_1000(dtype):
    # scale=1: the scores are exactly q . k = +1000, -1000, +999 and 0
    q = torch.tensor([[1000.0, 0.0], [0.0, 1000.0]], dtype=dtype)
    k = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.999, 0.0], [0.0, 0.0]], dtype=dtype)
    v = torch.arange(8, dtype=dtype).view(4, 2)
    ours = _values_and_grads(lambda *t: A.scaled_dot_product_attention(*t, scale=1.0), [q, k, v])
    theirs = _values_and_grads(lambda *t: F.scaled_dot_product_attention(*t, scale=1.0), [q, k, v])
    assert all(torch.isfinite(t).all() for t in ours)
    # row 0: e^{1000} against e^{999}: weights 1 / (1 + e^{-1}) and e^{-1} / (1 + e^{-1})
    w = 1 / (1 + math.exp(-1))
    torch.testing.assert_close(ours[0][0], w * v[0] + (1 - w) * v[2])
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, **TOL_ATTN[dtype])


def test_gradcheck_float64():
    q, k, v = (random_tensor(s, torch.float64, i, 1.0).requires_grad_() for i, s in
               enumerate([(2, 1, 3, 4), (2, 2, 5, 4), (2, 5, 3)]))
    mask = random_tensor((3, 5), torch.float64, 3, 1.0).requires_grad_()
    assert torch.autograd.gradcheck(lambda *t: A.scaled_dot_product_attention(*t), (q, k, v, mask))
    assert torch.autograd.gradcheck(lambda *t: A.scaled_dot_product_attention(*t, is_causal=True, scale=0.7),
                                    (q, k, v))

    def with_dropout(*t):
        torch.manual_seed(0)  # the same dropout mask at every call
        return A.scaled_dot_product_attention(*t, dropout_p=0.4)

    assert torch.autograd.gradcheck(with_dropout, (q, k, v, mask))
    # both outputs of the Function, the weights too (MultiheadAttention returns them)
    keep = torch.rand(2, 2, 3, 5, generator=torch.Generator().manual_seed(1)) >= 0.3
    assert torch.autograd.gradcheck(
        lambda *t: A.ScaledDotProductAttentionFunction.apply(*t, keep, 0.5, 0.3), (q, k, v, mask))


def test_dropout_drops_a_fraction_p_and_keeps_the_mean():
    """With V the identity, the output is the attention weights after dropout."""
    p, L, S = 0.3, 64, 64
    q = random_tensor((4, L, 8), torch.float64, 0, 0.5)
    k = random_tensor((4, S, 8), torch.float64, 1, 0.5)
    eye = torch.eye(S, dtype=torch.float64)
    weights = A.scaled_dot_product_attention(q, k, eye)
    fractions = {}
    for name, sdpa in (("ours", A.scaled_dot_product_attention), ("torch", F.scaled_dot_product_attention)):
        torch.manual_seed(0)
        dropped = sdpa(q, k, eye, dropout_p=p)
        fractions[name] = (dropped == 0).double().mean().item()
        # 4 * 64 * 64 = 16384 weights: one standard error of the fraction is 0.0036
        assert abs(fractions[name] - p) < 0.02, (name, fractions[name])
        assert abs(dropped.sum(-1).mean().item() - 1.0) < 0.02  # rows still sum to 1 on average
        kept = dropped != 0
        torch.testing.assert_close(dropped[kept], weights[kept] / (1 - p))  # the kept ones scaled by 1/(1-p)
    torch.manual_seed(0)
    again = A.scaled_dot_product_attention(q, k, eye, dropout_p=p)
    torch.manual_seed(0)
    assert torch.equal(again, A.scaled_dot_product_attention(q, k, eye, dropout_p=p))  # seeded: reproducible


def test_dropout_gradient_uses_the_same_mask():
    q = random_tensor((2, 6, 4), torch.float64, 0, 1.0)
    k = random_tensor((2, 7, 4), torch.float64, 1, 1.0)
    v = torch.eye(7, dtype=torch.float64).requires_grad_()
    torch.manual_seed(3)
    dropped = A.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    g = random_tensor(dropped.shape, torch.float64, 2, 1.0)
    dropped.backward(g)
    # dV = A'^T G, with A' the dropped weights the forward pass used (here the output itself)
    torch.testing.assert_close(v.grad, (dropped.detach().transpose(-2, -1) @ g).sum(0))


# --- MultiheadAttention -------------------------------------------------------------------------

CONFIGS = {
    "default": {},
    "no bias": {"bias": False},
    "bias_kv and zero_attn": {"add_bias_kv": True, "add_zero_attn": True},
    "kdim and vdim": {"kdim": 3, "vdim": 5},
}


def _pair(config, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(4, 2, **config).to(dtype)
    ours = A.MultiheadAttention(4, 2, **config).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
def test_mha_state_dict_round_trip_and_initialization(config):
    torch.manual_seed(1)
    theirs = nn.MultiheadAttention(4, 2, **config)
    torch.manual_seed(1)
    ours = A.MultiheadAttention(4, 2, **config)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # the same names, in the same order
    for a, b in zip(ours.state_dict().values(), theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # torch's initialization, in torch's order of random draws
    fresh_ours, fresh_theirs = A.MultiheadAttention(4, 2, **config), nn.MultiheadAttention(4, 2, **config)
    fresh_ours.load_state_dict(theirs.state_dict())  # torch -> ours
    fresh_theirs.load_state_dict(ours.state_dict())  # ours -> torch
    for a, b in zip(fresh_ours.state_dict().values(), fresh_theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def _mha_inputs(config, batched, batch_first, kpm_kind, mask_kind, dtype):
    L, S, N = 3, 4, 2
    kdim, vdim = config.get("kdim", 4), config.get("vdim", 4)

    def shape(T, E):
        return ((N, T, E) if batch_first else (T, N, E)) if batched else (T, E)

    sizes = [(L, 4), (S, kdim), (S, vdim)]
    q, k, v = (random_tensor(shape(T, E), dtype, i, 1.0) for i, (T, E) in enumerate(sizes))
    g = torch.Generator().manual_seed(5)
    kpm = None
    if kpm_kind != "none":
        kpm = torch.zeros((N, S) if batched else (S,), dtype=torch.bool)
        kpm[..., -1] = True  # the last key of every sequence is padding
        if kpm_kind == "float":
            kpm = torch.zeros(kpm.shape, dtype=dtype).masked_fill(kpm, -math.inf) + 0.25
    attn_mask, is_causal = None, False
    if mask_kind in ("bool", "float"):
        attn_mask = torch.rand(L, S, generator=g) < 0.3
        attn_mask[:, 0] = False  # every query may attend to key 0
        if mask_kind == "float":
            attn_mask = random_tensor((L, S), dtype, 7, 1.0).masked_fill(attn_mask, -math.inf)
    elif mask_kind == "bool 3-D":
        attn_mask = torch.rand((N if batched else 1) * 2, L, S, generator=g) < 0.3
        attn_mask[..., 0] = False
    elif mask_kind == "causal":
        attn_mask, is_causal = torch.ones(L, S, dtype=torch.bool).triu(1), True
    return [q, k, v], {"key_padding_mask": kpm, "attn_mask": attn_mask, "is_causal": is_causal}


def _mha_run(module, tensors, kwargs):
    leaves = [t.detach().clone().requires_grad_() for t in tensors]
    out, weights = module(*leaves, **kwargs)
    loss = (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum()
    if weights is not None:
        ramp = torch.linspace(0, 2, weights.numel(), dtype=out.dtype).view_as(weights)
        loss = loss + (weights * ramp).sum()
    grads = torch.autograd.grad(loss, leaves + list(module.parameters()))
    return out.detach(), None if weights is None else weights.detach(), grads


# torch warns when key_padding_mask and attn_mask have different types (bool and float); both work
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
def test_mha_matches_torch_in_every_option(config):
    ours, theirs = _pair(config)
    masks = ["none", "bool", "float", "bool 3-D", "causal"]
    weights_options = [(True, True), (True, False), (False, True)]  # average_attn_weights needs weights
    for batched, batch_first, kpm_kind, mask_kind, (need_weights, average) in itertools.product(
            [True, False], [True, False], ["none", "bool", "float"], masks, weights_options):
        if batch_first and not batched:
            continue  # batch_first does not apply to one unbatched sequence: the same case as without
        ours.batch_first = theirs.batch_first = batch_first
        tensors, kwargs = _mha_inputs(config, batched, batch_first, kpm_kind, mask_kind, torch.float64)
        kwargs |= {"need_weights": need_weights, "average_attn_weights": average}
        what = f"batched={batched} batch_first={batch_first} kpm={kpm_kind} mask={mask_kind} {kwargs}"
        theirs_kwargs = dict(kwargs)
        if kwargs["is_causal"] and not need_weights and kpm_kind == "none" and config.get("add_bias_kv"):
            # here torch drops attn_mask for SDPA's own causal mask, which hides the appended bias and
            # zero keys; its other paths (and nnbasics) apply attn_mask: compare with those
            theirs_kwargs["is_causal"] = False
        o_out, o_w, o_g = _mha_run(ours, tensors, kwargs)
        t_out, t_w, t_g = _mha_run(theirs, tensors, theirs_kwargs)
        torch.testing.assert_close(o_out, t_out, msg=what, **TOL[torch.float64])
        assert (o_w is None) == (t_w is None) == (not need_weights), what
        if need_weights:
            torch.testing.assert_close(o_w, t_w, msg=what, **TOL[torch.float64])
        for a, b in zip(o_g, t_g, strict=True):
            torch.testing.assert_close(a, b, msg=what, **TOL[torch.float64])


@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
def test_mha_matches_torch_in_float32(config):
    ours, theirs = _pair(config, torch.float32)
    for batched, mask_kind in itertools.product([True, False], ["bool", "causal"]):
        tensors, kwargs = _mha_inputs(config, batched, False, "bool", mask_kind, torch.float32)
        o_out, o_w, o_g = _mha_run(ours, tensors, kwargs)
        t_out, t_w, t_g = _mha_run(theirs, tensors, kwargs)
        for a, b in zip([o_out, o_w, *o_g], [t_out, t_w, *t_g], strict=True):
            torch.testing.assert_close(a, b, **TOL_ATTN[torch.float32])


def test_mha_fully_masked_query_gives_zeros_where_torch_gives_nan_with_weights():
    """The documented difference: torch's need_weights=True path divides 0 by 0."""
    ours, theirs = _pair({"batch_first": True})
    x = random_tensor((2, 3, 4), torch.float64, 0, 1.0)
    kpm = torch.tensor([[False, False, False], [True, True, True]])  # sequence 1: every key is padding
    for need_weights in (True, False):
        o_out, o_w = ours(x, x, x, key_padding_mask=kpm, need_weights=need_weights)
        t_out, t_w = theirs(x, x, x, key_padding_mask=kpm, need_weights=need_weights)
        assert not o_out.isnan().any()
        torch.testing.assert_close(o_out[0], t_out[0])
        # sequence 1 attends to nothing: the heads give 0, the output is out_proj's bias
        torch.testing.assert_close(o_out[1], ours.out_proj.bias.detach().expand(3, 4))
        if need_weights:
            assert t_out[1].isnan().all() and t_w[1].isnan().all()
            assert torch.equal(o_w[1], torch.zeros(3, 3, dtype=torch.float64))
        else:
            torch.testing.assert_close(o_out, t_out)


def test_mha_dropout_in_training_only():
    ours, theirs = _pair({"dropout": 0.5, "batch_first": True})
    x = random_tensor((8, 16, 4), torch.float64, 0, 1.0)
    torch.manual_seed(0)
    _, weights = ours(x, x, x, average_attn_weights=False)
    assert abs((weights == 0).double().mean().item() - 0.5) < 0.03  # 8 * 2 * 16 * 16 = 4096 weights
    ours.eval(), theirs.eval()
    with torch.no_grad():
        o_out, o_w = ours(x, x, x)
        t_out, t_w = theirs(x, x, x)
    torch.testing.assert_close(o_out, t_out)
    torch.testing.assert_close(o_w, t_w)


# --- Positional encoding ------------------------------------------------------------------------


@pytest.mark.parametrize("d_model", [6, 5, 1])
def test_positional_encoding_is_the_formula(d_model):
    max_len = 9
    expected = torch.empty(max_len, d_model, dtype=torch.float64)
    for t in range(max_len):
        for j in range(d_model):
            angle = t / 10000 ** ((j - j % 2) / d_model)  # columns 2i and 2i + 1 share 10000^{2i/d}
            expected[t, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    P = A.positional_encoding(max_len, d_model, dtype=torch.float64)
    torch.testing.assert_close(P, expected, rtol=0, atol=1e-15)
    assert A.positional_encoding(max_len, d_model).dtype == torch.get_default_dtype()


def test_positional_encoding_module_adds_the_table():
    module = A.PositionalEncoding(6, max_len=10).double()
    x = random_tensor((2, 7, 6), torch.float64, 0)
    torch.testing.assert_close(module(x) - x, A.positional_encoding(7, 6, torch.float64).expand(2, 7, 6))
    assert list(module.state_dict()) == []  # a buffer computed from the formula, not saved
    assert module.encoding.dtype == torch.float64  # it follows .double()


# --- The block and the language model -----------------------------------------------------------


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_block_is_torchs_pre_norm_encoder_layer(activation):
    torch.manual_seed(0)
    theirs = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation, batch_first=True,
                                        norm_first=True).double()
    ours = A.TransformerEncoderBlock(8, 2, 16, activation=activation).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((3, 5, 8), torch.float64, 1, 1.0)
    causal = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    cases = [({}, {}), ({"is_causal": True}, {"src_mask": causal, "is_causal": True})]
    for ours_kwargs, theirs_kwargs in cases:
        o = _values_and_grads(lambda t, kw=ours_kwargs: ours(t, **kw), [x])
        t = _values_and_grads(lambda t, kw=theirs_kwargs: theirs(t, **kw), [x])
        for a, b in zip(o, t, strict=True):
            torch.testing.assert_close(a, b, **TOL[torch.float64])


def test_block_gradcheck_float64():
    torch.manual_seed(0)
    block = A.TransformerEncoderBlock(4, 2, 8).double()
    names = [name for name, _ in block.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in block.parameters()]
    x = random_tensor((2, 3, 4), torch.float64, 0, 1.0).requires_grad_()

    def f(x, *params):
        weights = dict(zip(names, params, strict=True))
        return torch.func.functional_call(block, weights, (x,), {"is_causal": True})

    assert torch.autograd.gradcheck(f, (x, *params))


def _lm(seed=0, **kwargs):
    torch.manual_seed(seed)
    return A.CausalTransformerLM(11, d_model=16, num_heads=2, num_layers=2, max_len=12, **kwargs).double()


def test_lm_shapes_and_logits_at_t_do_not_depend_on_later_tokens():
    model = _lm()
    ids = torch.randint(0, 11, (3, 10), generator=torch.Generator().manual_seed(1))
    logits, state = model(ids)
    assert logits.shape == (3, 10, 11) and torch.equal(state, ids)
    for t in range(10):
        later = ids.clone()
        later[:, t] = (later[:, t] + 1) % 11  # change the token at t only
        changed, _ = model(later)
        assert torch.equal(changed[:, :t], logits[:, :t])  # exactly: no position before t sees it
        assert (changed[:, t:] - logits[:, t:]).abs().amax() > 1e-3  # and t itself onwards does


def test_lm_fed_in_pieces_equals_fed_whole_and_slides_beyond_max_len():
    model = _lm()
    ids = torch.randint(0, 11, (2, 12), generator=torch.Generator().manual_seed(2))
    whole, _ = model(ids)
    first, state = model(ids[:, :5])
    second, state = model(ids[:, 5:9], state)
    third, state = model(ids[:, 9:], state)
    torch.testing.assert_close(torch.cat([first, second, third], dim=1), whole, **TOL[torch.float64])
    more, state = model(torch.tensor([[3], [4]]), state)  # 13 ids: the context keeps the last 12
    assert torch.equal(state, torch.cat([ids[:, 1:], torch.tensor([[3], [4]])], dim=1))
    torch.testing.assert_close(more, model(state)[0][:, -1:], **TOL[torch.float64])


def test_lm_trains_with_the_char_lstm_loop_and_works_with_sample_and_bits_per_char():
    text = torch.tensor([0, 1, 2, 3, 4] * 20)  # a period-5 text: learnable in a few steps
    for make in (lambda: R.CharLSTM(5, hidden_size=16, embedding_dim=8),
                 lambda: A.CausalTransformerLM(5, 16, 2, 1, max_len=16)):
        torch.manual_seed(0)
        model = make()
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        batches = torch.Generator().manual_seed(1)
        before = R.bits_per_char(model, text, torch.Generator().manual_seed(2), batch_size=8, length=16)
        for _ in range(30):  # the loop of book/recurrent/language-model.ipynb
            x, y = R.text_batch(text, batch_size=8, length=16, generator=batches)
            logits, _ = model(x)
            loss = losses.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            R.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        after = R.bits_per_char(model, text, torch.Generator().manual_seed(2), batch_size=8, length=16)
        assert after < 0.5 * before, (type(model).__name__, before, after)
        # 22 ids: past the Transformer's max_len = 16, so its context slides while it samples
        generated = R.sample(model, torch.tensor([0, 1]), length=20, temperature=0.1)
        assert generated.tolist() == [0, 1, 2, 3, 4] * 4 + [0, 1], type(model).__name__


def test_attention_maps_are_the_weights_of_the_inputs_the_models_own_forward_gives_each_block():
    torch.manual_seed(0)
    model = A.CausalTransformerLM(vocab_size=11, d_model=16, num_heads=4, num_layers=3, max_len=12).double()
    ids = torch.randint(0, 11, (2, 9))
    seen = []  # what each block's attention reads in the model's own forward
    hooks = [block.self_attn.register_forward_pre_hook(lambda _, args: seen.append(args[0].detach()))
             for block in model.blocks]
    model(ids)
    for hook in hooks:
        hook.remove()
    maps = A.attention_maps(model, ids)
    assert maps.shape == (2, 3, 4, 9, 9) and model.training  # the model's mode is restored
    future = torch.ones(9, 9, dtype=torch.bool).triu(1)
    for b, (block, h) in enumerate(zip(model.blocks, seen, strict=True)):
        mha = nn.MultiheadAttention(16, 4, batch_first=True, dtype=torch.float64)
        mha.load_state_dict(block.self_attn.state_dict())
        _, expected = mha(h, h, h, attn_mask=future, average_attn_weights=False)
        torch.testing.assert_close(maps[:, b], expected)
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 3, 4, 9, dtype=torch.float64))
    assert (maps.triu(1) == 0).all()


def test_attention_maps_reject_bad_input():
    model = A.CausalTransformerLM(vocab_size=5, d_model=8, num_heads=2, num_layers=1, max_len=4)
    with pytest.raises(TypeError, match="model must be a CausalTransformerLM"):
        A.attention_maps(nn.Linear(2, 2), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="ids must hold 1 to max_len = 4"):
        A.attention_maps(model, torch.zeros(1, 5, dtype=torch.long))
