"""The shifted-slice convolution of nnbasics.fast.conv equals the clear im2col one of nnbasics.conv."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import assert_same_values_and_gradients, random_tensor, seeds
from hypothesis import assume, given
from hypothesis import strategies as st

from nnbasics import conv as C
from nnbasics.fast import conv as fast_conv


def _clear(x, w, b, pads, dilation, groups):
    """The chapter's convolution of the zero-padded input (F.pad only builds the test's input)."""
    return C.conv2d(F.pad(x, (pads[2], pads[3], pads[0], pads[1])), w, b, 1, 0, dilation, groups)


def _fast(x, w, b, pads, dilation, groups):
    return fast_conv.ShiftedConv2dFunction.apply(x, w, b, pads, dilation, groups)


@given(seed=seeds, double=st.booleans(), n=st.integers(1, 3), groups=st.sampled_from([1, 2, 3]),
       cg=st.integers(1, 4), og=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       k=st.tuples(st.integers(1, 3), st.integers(1, 3)), pads=st.tuples(*[st.integers(0, 2)] * 4),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), bias=st.booleans())
def test_shifted_equals_clear_values_and_gradients(seed, double, n, groups, cg, og, h, w, k, pads, dilation,
                                                    bias):
    assume(h + pads[0] + pads[1] >= dilation[0] * (k[0] - 1) + 1)
    assume(w + pads[2] + pads[3] >= dilation[1] * (k[1] - 1) + 1)
    dtype = torch.float64 if double else torch.float32
    # float32: the two sum k_h k_w C_g products in different orders, so an element that cancels to
    # near zero can differ by a few ulps of the terms (1.19e-05 seen on seed 194); a wrong index is O(1).
    tol = {"rtol": 1e-12, "atol": 1e-12} if double else {"rtol": 1e-4, "atol": 1e-4}
    x = random_tensor((n, cg * groups, h, w), dtype, seed)
    weight = random_tensor((og * groups, cg, *k), dtype, seed + 1)
    b = random_tensor((og * groups,), dtype, seed + 2) if bias else None
    args = (pads, dilation, groups)
    assert_same_values_and_gradients(lambda *t: _fast(*t, *args), lambda *t: _clear(*t, *args),
                                     [x, weight, b], seed + 3, **tol)


def test_gradcheck_shifted_and_clear():
    x = random_tensor((2, 4, 6, 5), torch.float64, 0).requires_grad_(True)
    w = random_tensor((6, 2, 3, 2), torch.float64, 1).requires_grad_(True)
    b = random_tensor((6,), torch.float64, 2).requires_grad_(True)
    pads, dilation = (1, 0, 2, 1), (1, 2)
    assert torch.autograd.gradcheck(lambda x, w, b: _fast(x, w, b, pads, dilation, 2), (x, w, b))
    assert torch.autograd.gradcheck(lambda x, w, b: _clear(x, w, b, pads, dilation, 2), (x, w, b))


def _layer_pair(cls_args, kwargs):
    torch.manual_seed(0)
    taught = C.Conv2d(*cls_args, **kwargs).double()
    torch.manual_seed(0)
    fast = fast_conv.Conv2d(*cls_args, **kwargs).double()
    return taught, fast


def _backward_name(y):
    """The convolution's backward node (under the squeeze of an unbatched input)."""
    node = y.grad_fn
    while type(node).__name__.startswith("Squeeze"):
        node = node.next_functions[0][0]
    return type(node).__name__


def test_the_fast_layer_is_the_taught_layer_by_name():
    assert issubclass(fast_conv.Conv2d, C.Conv2d)
    assert not hasattr(C.Conv2d, "fast")  # the taught layer has no switch: it always runs Conv2dFunction
    taught, fast = _layer_pair((64, 32, 3), dict(padding=1, groups=4))
    assert repr(fast) == repr(taught)
    assert all(torch.equal(a, b) for a, b in zip(taught.parameters(), fast.parameters(), strict=True))


@pytest.mark.parametrize(("kwargs", "shape", "expected"), [
    (dict(padding=1, groups=4), (8, 64, 32, 32), "ShiftedConv2dFunctionBackward"),  # large: pays
    (dict(padding="same", padding_mode="reflect"), (8, 64, 32, 32), "ShiftedConv2dFunctionBackward"),
    (dict(padding=1, groups=4), (64, 96, 96), "ShiftedConv2dFunctionBackward"),  # one image, unbatched
    (dict(padding=1, groups=4), (1, 64, 8, 8), "Conv2dFunctionBackward"),  # too small to pay: im2col
    (dict(padding=1, stride=2), (8, 64, 32, 32), "Conv2dFunctionBackward"),  # strided: im2col
])
def test_the_fast_layer_equals_the_taught_one(kwargs, shape, expected):
    taught, fast = _layer_pair((64, 32, 3), kwargs)
    x = random_tensor(shape, torch.float64, 0).requires_grad_(True)
    ours, ref = fast(x), taught(x)
    assert _backward_name(ours) == expected and _backward_name(ref) == "Conv2dFunctionBackward"
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)
    g = random_tensor(ref.shape, torch.float64, 3)
    for a, e in zip(torch.autograd.grad(ours, [x, *fast.parameters()], g),
                    torch.autograd.grad(ref, [x, *taught.parameters()], g), strict=True):
        torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-10)


def test_the_fast_conv2d_checks_and_refuses_as_the_taught_one():
    x, w = torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3)
    torch.testing.assert_close(fast_conv.conv2d(x, w, stride=2, padding="valid"), C.conv2d(x, w, stride=2))
    for call in (fast_conv.conv2d, C.conv2d):
        with pytest.raises(ValueError, match="channel mismatch: input has 3 channels"):
            call(x, torch.randn(4, 2, 3, 3))
        with pytest.raises(ValueError, match="stride must be a positive int or a tuple of 2 of them"):
            call(x, w, stride=0)


def test_use_shifted_slices_only_at_stride_1_with_many_channels():
    big_x, big_w = torch.Size((32, 64, 32, 32)), torch.Size((64, 64, 3, 3))
    assert fast_conv.use_shifted_slices(big_x, big_w, (1, 1), (1, 1, 1, 1), (1, 1))
    assert not fast_conv.use_shifted_slices(big_x, big_w, (2, 1), (1, 1, 1, 1), (1, 1))
    assert not fast_conv.use_shifted_slices(big_x, torch.Size((64, 8, 3, 3)), (1, 1), (1, 1, 1, 1), (1, 1))
    assert not fast_conv.use_shifted_slices(torch.Size((1, 64, 8, 8)), big_w, (1, 1), (1, 1, 1, 1), (1, 1))


def test_shifted_names_a_channel_mismatch():
    with pytest.raises(ValueError, match="channel mismatch"):
        _fast(torch.ones(1, 3, 5, 5), torch.ones(2, 4, 3, 3), None, (0, 0, 0, 0), (1, 1), 1)
