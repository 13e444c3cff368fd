"""Tests of nnbasics.conv against torch.nn.functional and torch.nn."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import TOL, dtypes, random_tensor, seeds
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

from nnbasics import conv as C
from nnbasics.layers import count_parameters


def compare(ours, theirs, tensors, dtype, seed=99):
    results = []
    for fn in (ours, theirs):
        ts = [t.detach().clone().requires_grad_(True) if t is not None else None for t in tensors]
        out = fn(*ts)
        g = random_tensor(out.shape, dtype, seed, scale=1.0)
        grads = torch.autograd.grad(out, [t for t in ts if t is not None], g)
        results.append((out.detach(), grads))
    (o, og), (t, tg) = results
    torch.testing.assert_close(o, t, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 100)
    for a, b in zip(og, tg, strict=True):
        torch.testing.assert_close(a, b, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 100)


@given(seed=seeds, dtype=dtypes, n=st.integers(1, 3), groups=st.sampled_from([1, 2]),
       cg=st.integers(1, 3), og=st.integers(1, 3), h=st.integers(3, 9), w=st.integers(3, 9),
       k=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 2)),
       padding=st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.sampled_from(["valid", "same"])),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), bias=st.booleans())
def test_conv2d_matches_torch(seed, dtype, n, groups, cg, og, h, w, k, stride, padding, dilation, bias):
    if padding == "same":
        stride = (1, 1)
    pads = (0, 0) if padding in ("valid", "same") else padding
    assume(h + 2 * pads[0] >= dilation[0] * (k[0] - 1) + 1)
    assume(w + 2 * pads[1] >= dilation[1] * (k[1] - 1) + 1)
    x = random_tensor((n, cg * groups, h, w), dtype, seed)
    weight = random_tensor((og * groups, cg, *k), dtype, seed + 1)
    b = random_tensor((og * groups,), dtype, seed + 2) if bias else None
    compare(lambda x, w, b=None: C.conv2d(x, w, b, stride, padding, dilation, groups),
            lambda x, w, b=None: F.conv2d(x, w, b, stride, padding, dilation, groups), [x, weight, b], dtype)


@given(seed=seeds, dtype=dtypes, h=st.integers(1, 9), w=st.integers(1, 9),
       k=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
       padding=st.tuples(st.integers(0, 1), st.integers(0, 1)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), ceil_mode=st.booleans(),
       count_include_pad=st.booleans(), divisor_override=st.sampled_from([None, 1, 3, -2]),
       unbatched=st.booleans())
def test_pooling_matches_torch(seed, dtype, h, w, k, stride, padding, dilation, ceil_mode, count_include_pad,
                               divisor_override, unbatched):
    assume(all(padding[i] <= k[i] // 2 for i in (0, 1)))
    x = random_tensor((3, h, w) if unbatched else (2, 3, h, w), dtype, seed)
    try:
        F.max_pool2d(x, k, stride, padding, dilation, ceil_mode)
    except RuntimeError:  # torch: the kernel is larger than the padded input; nnbasics must say so
        with pytest.raises(ValueError, match="larger than the padded input"):
            C.max_pool2d(x, k, stride, padding, dilation, ceil_mode)
        return
    # A window that misses the input (dilation steps over it) points past it: torch's backward
    # then writes out of bounds (a crash), so such shapes are only compared forward.
    misses = not (F.max_pool2d(x, k, stride, padding, dilation, ceil_mode, True)[1] < h * w).all()
    if not misses:
        compare(lambda t: C.max_pool2d(t, k, stride, padding, dilation, ceil_mode),
                lambda t: F.max_pool2d(t, k, stride, padding, dilation, ceil_mode), [x], dtype)
    ours = C.max_pool2d(x, k, stride, padding, dilation, ceil_mode, True)
    theirs = F.max_pool2d(x, k, stride, padding, dilation, ceil_mode, True)
    assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])
    try:
        F.avg_pool2d(x, k, stride, padding, ceil_mode, count_include_pad, divisor_override)
    except RuntimeError:
        return
    compare(lambda t: C.avg_pool2d(t, k, stride, padding, ceil_mode, count_include_pad, divisor_override),
            lambda t: F.avg_pool2d(t, k, stride, padding, ceil_mode, count_include_pad, divisor_override),
            [x], dtype)


@given(seed=seeds, dtype=dtypes, groups=st.sampled_from([1, 2]), cg=st.integers(1, 3), og=st.integers(1, 3),
       length=st.integers(3, 12), k=st.integers(1, 4), stride=st.integers(1, 3),
       padding=st.one_of(st.integers(0, 2), st.sampled_from(["valid", "same"])), dilation=st.integers(1, 2),
       bias=st.booleans())
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's own note on even kernels
def test_conv1d_matches_torch(seed, dtype, groups, cg, og, length, k, stride, padding, dilation, bias):
    if padding == "same":
        stride = 1
    pad = 0 if isinstance(padding, str) else padding
    assume(length + 2 * pad >= dilation * (k - 1) + 1)
    x = random_tensor((2, cg * groups, length), dtype, seed)
    weight = random_tensor((og * groups, cg, k), dtype, seed + 1)
    b = random_tensor((og * groups,), dtype, seed + 2) if bias else None
    compare(lambda x, w, b=None: C.conv1d(x, w, b, stride, padding, dilation, groups),
            lambda x, w, b=None: F.conv1d(x, w, b, stride, padding, dilation, groups), [x, weight, b], dtype)


def test_conv1d_module_loads_a_torch_state_dict_and_matches():
    torch.manual_seed(3)
    theirs = nn.Conv1d(2, 6, 5, stride=2, padding=1)
    torch.manual_seed(3)
    ours = C.Conv1d(2, 6, 5, stride=2, padding=1)
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)  # same init
    assert repr(ours) == repr(theirs)
    x = random_tensor((3, 2, 40), torch.float64, 0)
    ours.double().load_state_dict(theirs.double().state_dict())
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(lambda t: C.conv1d(t, ours.weight, ours.bias, 2, 1),
                                    (x[:1, :, :9].clone().requires_grad_(True),))

def test_gradcheck_conv_and_pools():
    x = random_tensor((2, 4, 6, 5), torch.float64, 0).requires_grad_(True)
    w = random_tensor((6, 2, 3, 2), torch.float64, 1).requires_grad_(True)
    b = random_tensor((6,), torch.float64, 2).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, w, b: C.conv2d(x, w, b, (2, 1), 1, (1, 2), 2), (x, w, b))
    assert torch.autograd.gradcheck(lambda t: C.max_pool2d(t, 2, 1, 1), (x,))
    assert torch.autograd.gradcheck(lambda t: C.avg_pool2d(t, 3, 2, 1, ceil_mode=True), (x,))


def test_max_pool_routes_the_gradient_to_the_argmax_only():
    x = torch.tensor([[[[1.0, 5.0], [3.0, 2.0]]]], requires_grad=True)
    C.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


@pytest.mark.parametrize(("k", "stride", "padding"), [(2, 2, 0), (3, 1, 1), (3, 2, 1)])
def test_max_pool_ties_and_nan_go_where_torchs_go(k, stride, padding):
    # Values from {0, 1, 2}: most windows hold several equal maxima; torch takes the first one.
    x = torch.randint(0, 3, (2, 3, 7, 8), generator=torch.Generator().manual_seed(0)).double()
    x[0, 0, 2, 3] = math.nan  # NaN wins its windows, in values and in the gradient
    ours, theirs = (x.clone().requires_grad_(True) for _ in range(2))
    g = random_tensor(F.max_pool2d(x, k, stride, padding).shape, torch.float64, 1)
    C.max_pool2d(ours, k, stride, padding).backward(g)
    F.max_pool2d(theirs, k, stride, padding).backward(g)
    torch.testing.assert_close(C.max_pool2d(x, k, stride, padding), F.max_pool2d(x, k, stride, padding),
                               equal_nan=True, rtol=0, atol=0)
    torch.testing.assert_close(ours.grad, theirs.grad, rtol=0, atol=0)


def test_one_output_by_hand():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    k = torch.tensor([[[[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]]])
    out = C.conv2d(x, k, torch.tensor([1.0]))
    # top-left window rows 0..2, cols 0..2: sum(col 0) - sum(col 2) + 1 = (0+5+10) - (2+7+12) + 1 = -5
    assert out[0, 0, 0, 0].item() == -5.0 and out.shape == (1, 1, 3, 3)


def test_conv2d_module_loads_a_torch_state_dict_and_matches():
    theirs = nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, groups=1)
    ours = C.Conv2d(3, 8, (3, 5), stride=2, padding=1)
    ours.load_state_dict(theirs.state_dict())
    x = random_tensor((2, 3, 9, 11), torch.float32, 0)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    torch.manual_seed(4)
    a = nn.Conv2d(4, 6, 3, groups=2)
    torch.manual_seed(4)
    b = C.Conv2d(4, 6, 3, groups=2)
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)  # same default init


def test_sizes_parameters_and_flops():
    assert C.conv_output_size(32, 5) == 28 and C.conv_output_size(28, 3, 2, 1) == 14
    assert C.conv_output_size(5, 2, 2, 0, ceil_mode=True) == 3
    assert C.conv_parameters(1, 6, 10) == 606 and C.conv_parameters(3, 100, 3) == 2800
    assert C.conv_parameters(3, 100, 3) == count_parameters(nn.Conv2d(3, 100, 3))
    assert C.conv_macs(3, 100, 3, 32) == 32 * 32 * 100 * 27
    assert C.conv_flops(3, 100, 3, 32) == 2 * 32 * 32 * 100 * 27 + 32 * 32 * 100


def test_lenet5_shapes_and_parameters():
    net = C.LeNet5()
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert count_parameters(net) == 61_706


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: C.conv2d(torch.ones(1, 3, 5, 5), torch.ones(2, 2, 3, 3)), ValueError, "channel mismatch"),
        (lambda: C.conv2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3)), ValueError,
         "larger than the padded input"),
        (lambda: C.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), stride=2, padding="same"),
         ValueError, "padding='same' is not supported for strided"),
        (lambda: C.conv2d(torch.ones(5, 5), torch.ones(1, 1, 3, 3)), ValueError, r"input must be 4-D"),
        (lambda: C.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), padding="full"), ValueError,
         "'valid' or 'same'"),
        (lambda: C.max_pool2d(torch.ones(1, 1, 4, 4), 2, padding=2), ValueError, "at most half"),
        (lambda: C.Conv2d(3, 4, 3, groups=2), ValueError, "divisible by groups"),
        (lambda: C.conv1d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3)), ValueError,
         r"input must be 3-D \[N, C, L\]"),
        (lambda: C.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 3, 3)), ValueError, "weight must be 3-D"),
        (lambda: C.conv1d(torch.ones(1, 2, 5), torch.ones(1, 1, 3)), ValueError, "channel mismatch"),
        (lambda: C.conv1d(torch.ones(1, 1, 2), torch.ones(1, 1, 3)), ValueError,
         "larger than the padded input"),
        (lambda: C.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 3), stride=(1, 2)), ValueError,
         r"stride must be a positive int, got \(1, 2\)"),
        (lambda: C.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), stride=0), ValueError,
         "stride must be a positive int or a tuple of 2 of them, got 0"),
        (lambda: C.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), padding=(1, True)), ValueError,
         r"padding must be a non-negative int or a tuple of 2 of them, got \(1, True\)"),
        (lambda: C.Conv2d(1, 1, (3, 3, 3)), ValueError, "kernel_size must be a positive int or a tuple of 2"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _layer_pair(ours_cls, theirs_cls, args, kwargs, dtype):
    torch.manual_seed(7)
    theirs = theirs_cls(*args, **kwargs).to(dtype)
    ours = ours_cls(*args, **kwargs).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _compare_layers(ours, theirs, x, dtype):
    tol = {"rtol": TOL[dtype]["rtol"] * 10, "atol": TOL[dtype]["atol"] * 100}
    results = []
    for layer in (ours, theirs):
        xs = x.detach().clone().requires_grad_(True)
        out = layer(xs)
        g = random_tensor(out.shape, dtype, 5, scale=1.0)
        results.append((out.detach(), torch.autograd.grad(out, [xs, *layer.parameters()], g)))
    (o, og), (t, tg) = results
    torch.testing.assert_close(o, t, **tol)
    for a, b in zip(og, tg, strict=True):
        torch.testing.assert_close(a, b, **tol)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(("padding", "stride", "dilation", "groups"),
                         [(1, 1, 1, 1), ((2, 1), (2, 1), (1, 2), 2), ("same", 1, 2, 1), ((1,), 2, 1, 2),
                          ("valid", 2, 1, 1)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("unbatched", [False, True])
def test_conv2d_layer_options_match_torch(padding_mode, padding, stride, dilation, groups, dtype, unbatched):
    kwargs = dict(stride=stride, dilation=dilation, groups=groups, padding_mode=padding_mode)
    ours, theirs = _layer_pair(C.Conv2d, nn.Conv2d, (4, 6, (3, 2)), dict(kwargs, padding=padding), dtype)
    if padding == (1,) and padding_mode != "zeros":  # torch's layer fails on that one: compare with (1, 1)
        _, theirs = _layer_pair(C.Conv2d, nn.Conv2d, (4, 6, (3, 2)), dict(kwargs, padding=(1, 1)), dtype)
    else:
        assert repr(ours) == repr(theirs)
    x = random_tensor((4, 7, 6) if unbatched else (2, 4, 7, 6), dtype, 1)
    _compare_layers(ours, theirs, x, dtype)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(("padding", "stride", "dilation", "groups"),
                         [(2, 1, 1, 1), ((1,), 2, 2, 2), ("same", 1, 2, 1)])
@pytest.mark.parametrize("unbatched", [False, True])
def test_conv1d_layer_options_match_torch(padding_mode, padding, stride, dilation, groups, unbatched):
    dtype = torch.float64
    ours, theirs = _layer_pair(C.Conv1d, nn.Conv1d, (4, 6, 3),
                               dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                                    padding_mode=padding_mode), dtype)
    assert repr(ours) == repr(theirs)
    x = random_tensor((4, 9) if unbatched else (3, 4, 9), dtype, 2)
    _compare_layers(ours, theirs, x, dtype)


def test_layers_take_device_and_dtype_as_torch():
    for ours_cls, theirs_cls in ((C.Conv2d, nn.Conv2d), (C.Conv1d, nn.Conv1d)):
        torch.manual_seed(3)
        theirs = theirs_cls(2, 4, 3, device="cpu", dtype=torch.float64)
        torch.manual_seed(3)
        ours = ours_cls(2, 4, 3, device="cpu", dtype=torch.float64)
        for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert a.dtype == torch.float64 and a.device.type == "cpu"
            assert torch.equal(a, b)  # the same default initialization, drawn in float64


def test_unbatched_functional_convs_match_torch():
    x, w, b = random_tensor((3, 6, 5), torch.float64, 0), random_tensor((4, 3, 3, 2), torch.float64, 1), None
    compare(lambda x, w: C.conv2d(x, w, b, 2, 1), lambda x, w: F.conv2d(x, w, b, 2, 1), [x, w], torch.float64)
    x1, w1 = random_tensor((3, 8), torch.float64, 2), random_tensor((6, 1, 3), torch.float64, 3)
    compare(lambda x, w: C.conv1d(x, w, None, 1, (1,), 2, 3),
            lambda x, w: F.conv1d(x, w, None, 1, (1,), 2, 3), [x1, w1], torch.float64)


def test_im2col_and_col2im_are_adjoint():
    # <col2im(c), x> = <c, im2col(x)>: col2im adds back exactly where im2col copied from.
    x_p = random_tensor((2, 3, 7, 8), torch.float64, 0)
    sizes = ((2, 3), (2, 1), (1, 2), (3, 4))  # kernel, stride, dilation, output size
    cols = C.im2col(x_p, *sizes)
    assert cols.shape == (3 * 2 * 3, 2 * 3 * 4)
    # im2col is torch's unfold, laid out [C k_h k_w, N L] (the test may call unfold, the library not)
    unfold = F.unfold(x_p, (2, 3), dilation=(1, 2), stride=(2, 1))  # [N, C k_h k_w, L]
    assert torch.equal(cols, unfold.transpose(0, 1).reshape(18, -1))
    c = random_tensor(cols.shape, torch.float64, 1)
    back = C.col2im(c, x_p.shape, *sizes)
    torch.testing.assert_close((back * x_p).sum(), (c * cols).sum(), rtol=1e-12, atol=1e-12)
    fold = F.fold(c.reshape(18, 2, 12).transpose(0, 1), (7, 8), (2, 3), dilation=(1, 2), stride=(2, 1))
    torch.testing.assert_close(back, fold, rtol=1e-12, atol=1e-12)


def test_gradcheck_pool_options():
    x = random_tensor((2, 3, 7, 6), torch.float64, 0).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: C.max_pool2d(t, (3, 2), (2, 1), 1, (2, 1), True), (x,))
    assert torch.autograd.gradcheck(lambda t: C.max_pool2d(t[0], 2, return_indices=True)[0], (x,))
    assert torch.autograd.gradcheck(lambda t: C.avg_pool2d(t, 3, 2, 1, True, False), (x,))
    assert torch.autograd.gradcheck(lambda t: C.avg_pool2d(t, (2, 3), 1, 0, False, True, 5), (x,))


def test_max_pool_windows_of_minus_infinity_point_where_torchs_do():
    x = random_tensor((1, 2, 5, 5), torch.float64, 0)
    x[0, 0, :2] = -math.inf  # whole windows of -inf, next to the -inf padding
    for args in ((2, 2, 1), (3, 2, 1, 2), (3, 1, 1)):
        ours = C.max_pool2d(x, *args, return_indices=True)
        theirs = F.max_pool2d(x, *args, return_indices=True)
        assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])
        a, b = (x.clone().requires_grad_(True) for _ in range(2))
        g = random_tensor(ours[0].shape, torch.float64, 1)
        C.max_pool2d(a, *args).backward(g)
        F.max_pool2d(b, *args).backward(g)
        assert torch.equal(a.grad, b.grad)


def test_pool_modules_match_torch():
    x = random_tensor((2, 3, 7, 7), torch.float64, 0)
    pairs = [(C.MaxPool2d(3, 2, 1, 2, True, True), nn.MaxPool2d(3, 2, 1, 2, True, True)),
             (C.MaxPool2d(2), nn.MaxPool2d(2)),
             (C.AvgPool2d(3, 2, 1, True, False, None), nn.AvgPool2d(3, 2, 1, True, False, None)),
             (C.AvgPool2d((2, 3), divisor_override=4), nn.AvgPool2d((2, 3), divisor_override=4))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        a, b = ours(x), theirs(x)
        if isinstance(b, tuple):  # return_indices
            assert torch.equal(a[1], b[1])
            a, b = a[0], b[0]
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


# --- The backward as a full correlation with the flipped kernel (the chapter's derivation box) ---


def _dilate(delta, s):
    out = delta.new_zeros(*delta.shape[:2], s * (delta.shape[2] - 1) + 1, s * (delta.shape[3] - 1) + 1)
    out[:, :, ::s, ::s] = delta
    return out


@given(seed=seeds, n=st.integers(1, 2), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
       size=st.integers(3, 9), k=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2))
def test_backward_is_the_flipped_kernel_full_correlation(seed, n, c_in, c_out, size, k, stride, padding):
    assume(size + 2 * padding >= k)
    x = random_tensor((n, c_in, size, size), torch.float64, seed).requires_grad_(True)
    weight = random_tensor((c_out, c_in, k, k), torch.float64, seed + 1).requires_grad_(True)
    y = C.conv2d(x, weight, stride=stride, padding=padding)
    delta = random_tensor(y.shape, torch.float64, seed + 2)
    y.backward(delta)
    d = _dilate(delta, stride)
    extra = size + 2 * padding - (d.shape[2] + k - 1)
    framed = F.pad(d, (k - 1, k - 1 + extra, k - 1, k - 1 + extra))
    grad_x = F.conv2d(framed, weight.detach().flip(2, 3).transpose(0, 1))[:, :, padding:padding + size,
                                                                          padding:padding + size]
    x_p = F.pad(x.detach(), (padding,) * 4)
    grad_w = F.conv2d(x_p.transpose(0, 1), d.transpose(0, 1))[:, :, :k, :k].transpose(0, 1)
    torch.testing.assert_close(x.grad, grad_x, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(weight.grad, grad_w, rtol=1e-12, atol=1e-12)


# --- affine_images: the augmentation page's moved, turned and zoomed copies -----------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_affine_images_identity_shift_and_quarter_turn(dtype):
    x = random_tensor((3, 2, 8, 8), dtype, 0)
    tol = {"rtol": 0, "atol": 1e-5 if dtype == torch.float32 else 1e-12}
    out = C.affine_images(x)
    assert out.dtype == dtype
    torch.testing.assert_close(out, x, **tol)
    moved = torch.zeros_like(x)  # 1 pixel right, 2 up, zeros come in
    moved[:, :, :6, 1:] = x[:, :, 2:, :7]
    torch.testing.assert_close(C.affine_images(x, translate=(1, -2)), moved, **tol)
    torch.testing.assert_close(C.affine_images(x, 90.0), torch.rot90(x, 1, (2, 3)), **tol)  # anticlockwise
    torch.testing.assert_close(C.affine_images(x, -90.0), torch.rot90(x, -1, (2, 3)), **tol)
    wide = random_tensor((2, 1, 6, 10), dtype, 1)
    torch.testing.assert_close(C.affine_images(wide, 180.0), wide.flip(2, 3), **tol)


def test_affine_images_zoom_is_an_enlarged_central_crop():
    x = random_tensor((2, 1, 8, 8), torch.float64, 2)
    zoomed = C.affine_images(x, scale=2.0)  # the central 4 x 4 pixels, enlarged to 8 x 8
    crop = F.interpolate(x[:, :, 2:6, 2:6], size=(8, 8), mode="bilinear", align_corners=False)
    # The border differs: interpolate clamps at the crop's edge, the zoom reads the pixel beyond.
    torch.testing.assert_close(zoomed[:, :, 1:7, 1:7], crop[:, :, 1:7, 1:7], rtol=1e-12, atol=1e-12)
    assert not torch.allclose(zoomed[:, :, 0], crop[:, :, 0])


def test_affine_images_per_image_parameters_equal_one_call_each():
    x = random_tensor((3, 1, 8, 8), torch.float64, 3)
    angle, scale = torch.tensor([10.0, -5.0, 0.0]), torch.tensor([1.0, 1.2, 0.9])
    translate = torch.tensor([[1.0, 0.0], [0.0, -1.0], [0.5, 0.5]])
    together = C.affine_images(x, angle, translate, scale)
    for i in range(3):
        alone = C.affine_images(x[i:i + 1], angle[i].item(), tuple(translate[i].tolist()), scale[i].item())
        torch.testing.assert_close(together[i:i + 1], alone, rtol=1e-12, atol=1e-12)
    back = C.affine_images(C.affine_images(x, 30.0), -30.0)  # turning back restores the centre pixels
    assert (back - x)[:, :, 3:5, 3:5].abs().max() < 0.6 * x.abs().max()


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"input": torch.zeros(8, 8)}, ValueError, "input"),
    ({"input": torch.zeros(1, 1, 8, 8, dtype=torch.long)}, TypeError, "input"),
    ({"angle": "ten"}, TypeError, "angle"),
    ({"angle": torch.zeros(3)}, ValueError, "angle"),
    ({"translate": (1.0, 2.0, 3.0)}, ValueError, "translate"),
    ({"scale": 0.0}, ValueError, "scale"),
    ({"scale": float("nan")}, ValueError, "scale"),
])
def test_affine_images_bad_inputs_name_the_argument(kwargs, error, message):
    args = {"input": torch.zeros(2, 1, 8, 8)} | kwargs
    with pytest.raises(error, match=message):
        C.affine_images(**args)
