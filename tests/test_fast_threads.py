"""The batch-sliced, threaded shifted-slice convolution of nnbasics.fast.threads equals the clear
im2col one of nnbasics.conv (values and gradients) and keeps the caller's thread setting."""

from __future__ import annotations

import pytest
import torch
from conftest import assert_same_values_and_gradients, random_tensor, seeds
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nnbasics import conv as C
from nnbasics.fast import threads as T


@settings(max_examples=40, deadline=None)
@given(seed=seeds, double=st.booleans(), n=st.integers(1, 7), parts=st.integers(1, 4), c=st.integers(1, 4),
       o=st.integers(1, 4), h=st.integers(1, 8), w=st.integers(1, 8), k=st.integers(1, 3),
       padding=st.integers(0, 2), bias=st.booleans())
def test_threaded_equals_clear_values_and_gradients(seed, double, n, parts, c, o, h, w, k, padding, bias):
    assume(h + 2 * padding >= k and w + 2 * padding >= k)
    dtype = torch.float64 if double else torch.float32
    # float32: the weight gradient sums up to 7 · 8 · 8 · 4 products, in another order than im2col
    tol = {"rtol": 1e-12, "atol": 1e-12} if double else {"rtol": 1e-4, "atol": 1e-4}
    x = random_tensor((n, c, h, w), dtype, seed)
    weight = random_tensor((o, c, k, k), dtype, seed + 1)
    b = random_tensor((o,), dtype, seed + 2) if bias else None
    assert_same_values_and_gradients(lambda x, w, b: T.threaded_conv2d(x, w, b, padding=padding, parts=parts),
                                     lambda x, w, b: C.conv2d(x, w, b, padding=padding),
                                     [x, weight, b], seed + 3, **tol)


def test_gradcheck_threaded():
    x = random_tensor((5, 3, 6, 5), torch.float64, 0).requires_grad_(True)
    w = random_tensor((4, 3, 3, 2), torch.float64, 1).requires_grad_(True)
    b = random_tensor((4,), torch.float64, 2).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, w, b: T.threaded_conv2d(x, w, b, padding=1, parts=2), (x, w, b))


def test_only_the_needed_gradients_and_the_layer_sized_case():
    torch.manual_seed(0)
    x = torch.randn(8, 16, 12, 12, dtype=torch.float64, requires_grad=True)
    w = torch.randn(16, 16, 3, 3, dtype=torch.float64)  # no gradient asked for: grad_w is skipped
    y = T.threaded_conv2d(x, w, padding=1, parts=3)  # 8 images in slices of 3, 3 and 2
    (gx,) = torch.autograd.grad(y.square().sum(), x)
    x2 = x.detach().requires_grad_(True)
    (ex,) = torch.autograd.grad(C.conv2d(x2, w, padding=1).square().sum(), x2)
    torch.testing.assert_close(gx, ex, rtol=1e-12, atol=1e-12)


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)  # the tests may run on one; the function must give back whatever it found
    yield 2
    torch.set_num_threads(previous)


def test_the_callers_thread_count_is_restored_also_after_an_error(two_threads):
    before = torch.get_num_threads()
    assert before == two_threads
    x, w = torch.randn(2, 3, 5, 5), torch.randn(4, 3, 3, 3)
    T.threaded_conv2d(x, w, padding=1, parts=2)
    assert torch.get_num_threads() == before
    # a channel mismatch raised inside a slice's thread still restores the setting
    with pytest.raises(ValueError, match="channel mismatch: input has 3 channels"):
        T.ThreadedShiftedConv2dFunction.apply(x, torch.randn(4, 2, 3, 3), None, (1, 1, 1, 1), (1, 1), 1, 2)
    assert torch.get_num_threads() == before


def test_more_parts_than_images_an_empty_batch_and_conv2ds_other_arguments():
    x, w = torch.randn(2, 3, 5, 5), torch.randn(4, 3, 3, 3)
    torch.testing.assert_close(T.threaded_conv2d(x, w, parts=8), C.conv2d(x, w))
    torch.testing.assert_close(T.threaded_conv2d(x[0], w, parts=2), C.conv2d(x[0], w))  # one image
    for padding in ((1, 2), "same", "valid"):
        torch.testing.assert_close(T.threaded_conv2d(x, w, padding=padding), C.conv2d(x, w, padding=padding))
    assert T.threaded_conv2d(torch.randn(0, 3, 5, 5), w).shape == (0, 4, 3, 3)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: T.threaded_conv2d(torch.randn(5, 5), torch.randn(4, 3, 3, 3)),
     r"input must be 4-D \[N, C, H, W\] \(or 3-D without N, one sample\), got shape \(5, 5\)"),
    (lambda: T.threaded_conv2d("x", torch.randn(4, 3, 3, 3)), "input must be a torch.Tensor"),
    (lambda: T.threaded_conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 2, 3, 3)),
     "channel mismatch: input has 3 channels but weight"),
    (lambda: T.threaded_conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), torch.randn(3)),
     r"bias must have shape \(4,\)"),
    (lambda: T.threaded_conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), padding=-1),
     "padding must be a non-negative int or a tuple of 2 of them, got -1"),
    (lambda: T.threaded_conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), parts=0),
     "parts must be a positive int"),
    (lambda: T.threaded_conv2d(torch.randn(1, 3, 2, 2), torch.randn(4, 3, 3, 3)),
     r"kernel of size 3 \(dilation 1\) is larger than the padded input of size 2"),
])
def test_bad_input_is_refused_clearly(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
