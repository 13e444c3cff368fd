"""Winograd F(2x2, 3x3) of nnbasics.fast.winograd equals torch.nn.functional.conv2d, values and
gradients, and does 16 multiplies per 2x2 output tile per channel pair where conv2d does 36."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from nnbasics.fast import winograd as W
from nnbasics.fast.winograd import winograd_conv2d


def _inputs(n, c, o, h, w, dtype, seed, bias=True):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, h, w, generator=g, dtype=dtype, requires_grad=True)
    weight = torch.randn(o, c, 3, 3, generator=g, dtype=dtype, requires_grad=True)
    b = torch.randn(o, generator=g, dtype=dtype, requires_grad=True) if bias else None
    return x, weight, b


def _values_and_grads(op, x, weight, b, padding, seed):
    out = op(x, weight, b, padding=padding)
    grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 1), dtype=out.dtype)
    tensors = [t for t in (x, weight, b) if t is not None]
    return [out, *torch.autograd.grad(out, tensors, grad_out)]


def _assert_matches_torch(n, c, o, h, w, padding, dtype, seed, bias=True):
    x, weight, b = _inputs(n, c, o, h, w, dtype, seed, bias)
    ours = _values_and_grads(winograd_conv2d, x, weight, b, padding, seed)
    theirs = _values_and_grads(F.conv2d, x, weight, b, padding, seed)
    for a, e in zip(ours, theirs, strict=True):
        assert a.shape == e.shape and a.dtype == e.dtype
        if dtype == torch.float64:
            torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-10)
        else:  # within 1e-4 relative to the size of the values
            assert (a - e).abs().max() <= 1e-4 * max(1.0, e.abs().max().item())


sizes = st.integers(1, 9)
shapes = st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), sizes, sizes)
paddings = st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)))


@settings(max_examples=60, deadline=None)
@given(shape=shapes, padding=paddings, double=st.booleans(), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_equals_torch_conv2d_values_and_gradients(shape, padding, double, bias, seed):
    n, c, o, h, w = shape
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    if h + 2 * ph < 3 or w + 2 * pw < 3:
        with pytest.raises(ValueError, match="larger than the padded input"):
            winograd_conv2d(torch.zeros(n, c, h, w), torch.zeros(o, c, 3, 3), padding=padding)
        return
    _assert_matches_torch(n, c, o, h, w, padding, torch.float64 if double else torch.float32, seed, bias)


@pytest.mark.parametrize("padding", [0, 1])
def test_the_64_channel_layer_in_float32(padding):
    _assert_matches_torch(2, 64, 64, 15, 16, padding, torch.float32, seed=3)


@pytest.mark.parametrize("chunk_values", [1, 40, 2**18])
def test_chunks_of_images_give_the_same_result(monkeypatch, chunk_values):
    # 1: one image per chunk; 40: 2 images per chunk (16 x 1 x 1 tile x 2 channels = 32 values per
    # image), so 5 images end with a partial chunk; 2**18: all at once.
    monkeypatch.setattr(W, "_CHUNK_VALUES", chunk_values)
    _assert_matches_torch(5, 2, 2, 3, 4, 0, torch.float64, seed=chunk_values)


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False), (False, False, True)])
def test_only_the_gradients_asked_for(needs):
    x, weight, b = _inputs(2, 3, 4, 5, 6, torch.float64, 0)
    for t, need in zip((x, weight, b), needs, strict=True):
        t.requires_grad_(need)
    (grad,) = torch.autograd.grad(winograd_conv2d(x, weight, b, padding=1).sum(),
                                  [t for t in (x, weight, b) if t.requires_grad])
    x2, w2, b2 = (t.detach().requires_grad_(need) for t, need in zip((x, weight, b), needs, strict=True))
    (expected,) = torch.autograd.grad(F.conv2d(x2, w2, b2, padding=1).sum(),
                                      [t for t in (x2, w2, b2) if t.requires_grad])
    torch.testing.assert_close(grad, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("padding", [0, 1, (2, 0)])
def test_gradcheck(padding):
    x, weight, b = _inputs(2, 2, 3, 5, 4, torch.float64, 7)
    assert torch.autograd.gradcheck(lambda *a: winograd_conv2d(*a, padding=padding), (x, weight, b))


def _flops(fn) -> dict:
    with FlopCounterMode(display=False) as counter:
        fn()
    return {str(op).split(".")[-1]: count for op, count in counter.get_flop_counts()["Global"].items()}


def test_sixteen_multiplies_per_tile_per_channel_pair_against_36(monkeypatch):
    n, c, o, h, w = 2, 3, 5, 8, 6  # padding 1: output 8 x 6, 4 x 3 tiles per image
    x, weight = torch.randn(n, c, h, w), torch.randn(o, c, 3, 3)
    products = []
    original = W._products

    def counted(v, u_t, out):
        with FlopCounterMode(display=False) as counter:
            result = original(v, u_t, out=out)
        products.append(counter.get_total_flops() // 2)  # torch counts 2 FLOPs per multiply-add
        return result

    monkeypatch.setattr(W, "_products", counted)
    total = sum(_flops(lambda: winograd_conv2d(x, weight, padding=1)).values()) // 2
    tiles = n * 4 * 3
    assert sum(products) == W.winograd_multiplies(c, o, (8, 6)) * n == 16 * tiles * c * o
    # Everything else: the two transforms, and the kernels' (G g G^T: 4*3*3 + 4*3*4 per kernel).
    assert total == sum(products) + W.transform_multiplies(c, o, (8, 6)) * n + (36 + 48) * o * c
    direct = _flops(lambda: F.conv2d(x, weight, padding=1))["convolution"] // 2
    assert direct == W.direct_multiplies(c, o, (8, 6)) * n == 36 * tiles * c * o
    assert direct / sum(products) == 2.25


def test_odd_output_sizes_round_the_tiles_up():
    assert W.winograd_multiplies(1, 1, (5, 3)) == 16 * 3 * 2
    assert W.direct_multiplies(1, 1, (5, 3)) == 9 * 15


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"weight": torch.zeros(4, 3, 5, 5)}, ValueError, r"weight must be .*3x3"),
    ({"weight": torch.zeros(4, 3, 3)}, ValueError, r"weight must be"),
    ({"weight": torch.zeros(4, 2, 3, 3)}, ValueError, r"channel mismatch: input has 3 channels"),
    ({"stride": 2}, ValueError, r"stride must be 1"),
    ({"stride": (1, 2)}, ValueError, r"stride must be 1"),
    ({"dilation": 2}, ValueError, r"dilation must be 1"),
    ({"groups": 3}, ValueError, r"channel mismatch"),  # conv's checks come first
    ({"input": torch.zeros(1, 6, 8, 8), "groups": 2}, ValueError, r"groups must be 1"),  # then Winograd's
    ({"padding": -1}, ValueError, r"padding must be a non-negative int or a tuple of 2"),
    ({"padding": "full"}, ValueError, r"padding must be an int, a pair, 'valid' or 'same'"),
    ({"input": torch.zeros(8, 8)}, ValueError, r"input must be 4-D"),
    ({"input": torch.zeros(1, 3, 8, 8, dtype=torch.int64)}, TypeError, r"input must be a floating-point"),
    ({"bias": torch.zeros(3)}, ValueError, r"bias must have shape \(4,\)"),
])
def test_bad_input_names_the_argument(kwargs, error, match):
    args = {"input": torch.zeros(1, 3, 8, 8), "weight": torch.zeros(4, 3, 3, 3), **kwargs}
    with pytest.raises(error, match=match):
        winograd_conv2d(**args)


def test_conv2ds_other_ways_of_giving_the_arguments():
    """'same' and 'valid' padding, one image without N, and the checks of nnbasics.conv.conv2d."""
    x, weight = torch.randn(2, 3, 6, 5, dtype=torch.float64), torch.randn(4, 3, 3, 3, dtype=torch.float64)
    for padding in ("same", "valid", (1, 0)):
        expected = F.conv2d(x, weight, padding=padding)
        torch.testing.assert_close(winograd_conv2d(x, weight, padding=padding), expected)
    torch.testing.assert_close(winograd_conv2d(x[0], weight, padding=1), F.conv2d(x[0], weight, padding=1))
