"""nnbasics.debugging: update ratios, the learning-rate range test and per-layer outputs with their
gradients, each against a computation written out by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnbasics import activations as A
from nnbasics import debugging, optim
from nnbasics.layers import Linear

F64 = {"dtype": torch.float64}


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(Linear(4, 5, **F64), A.Tanh(), Linear(5, 3, **F64))


def _data(n=6, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=gen, **F64), torch.randint(0, 3, (n,), generator=gen)


def _step(net, opt, X, y):
    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
    return step


def test_update_ratios_are_lr_times_gradient_over_weight_for_sgd():
    net, (X, y) = _net(), _data()
    before = [p.detach().clone() for p in net.parameters()]
    ratios = debugging.update_ratios(net, _step(net, optim.SGD(net.parameters(), lr=0.1), X, y))
    assert list(ratios) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for (name, ratio), w, p in zip(ratios.items(), before, net.parameters(), strict=True):
        expected = (0.1 * p.grad).norm().item() / w.norm().item()
        assert ratio == pytest.approx(expected, rel=1e-12), name
        assert 0 < ratio < 1


def test_update_ratios_scale_with_the_learning_rate():
    X, y = _data()
    small, large = [debugging.update_ratios(net, _step(net, optim.SGD(net.parameters(), lr=lr), X, y))
                    for lr, net in ((1e-3, _net()), (1e-1, _net()))]
    for name in small:
        assert large[name] == pytest.approx(100 * small[name], rel=1e-9)


def test_update_ratio_of_a_frozen_or_zero_parameter():
    net, (X, y) = _net(), _data()
    net[2].bias.requires_grad_(False)
    with torch.no_grad():
        net[0].bias.zero_()
    ratios = debugging.update_ratios(net, _step(net, optim.SGD(net.parameters(), lr=0.1), X, y))
    assert ratios["2.bias"] == 0.0
    assert ratios["0.bias"] == math.inf


def test_range_test_lrs_are_geometric_and_it_trains():
    net, (X, y) = _net(), _data()
    opt = optim.SGD(net.parameters(), lr=123.0)
    result = debugging.lr_range_test(net, nn.functional.cross_entropy, opt, [(X, y)], 1e-4, 1e-1, 4,
                                     stop_factor=100.0)
    assert result.lrs == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1], rel=1e-12)
    assert len(result.losses) == 4
    # the same steps by hand
    ref, losses = _net(), []
    for lr in result.lrs:
        loss = nn.functional.cross_entropy(ref(X), y)
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, list(ref.parameters()))
        with torch.no_grad():
            for p, g in zip(ref.parameters(), grads, strict=True):
                p -= lr * g
    assert result.losses == pytest.approx(losses, rel=1e-12)
    assert result.lr_at_min == result.lrs[min(range(4), key=losses.__getitem__)]


def test_range_test_stops_when_the_loss_blows_up_and_cycles_batches():
    net, (X, y) = _net(), _data(8)
    batches = [(X[:4], y[:4]), (X[4:], y[4:])]
    result = debugging.lr_range_test(net, nn.functional.cross_entropy, optim.SGD(net.parameters(), lr=1.0),
                                     batches, 1e-3, 1e4, 60)
    assert len(result.losses) < 60
    last = result.losses[-1]
    assert not math.isfinite(last) or last > 4 * min(result.losses[:-1])
    assert all(v <= 4 * min(result.losses[:k + 1]) for k, v in enumerate(result.losses[:-1]))


def test_layer_outputs_match_a_forward_written_out():
    net, (X, y) = _net(), _data()
    record = debugging.layer_outputs(net, nn.functional.cross_entropy, X, y, (A.Tanh,))
    assert list(record) == ["1"]
    h, grad = record["1"]
    W1, b1, W2, b2 = [p.detach().clone().requires_grad_(True) for p in net.parameters()]
    h_ref = torch.tanh(X @ W1.T + b1)
    h_ref.retain_grad()
    nn.functional.cross_entropy(h_ref @ W2.T + b2, y).backward()
    torch.testing.assert_close(h, h_ref.detach(), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, h_ref.grad, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(net[0].weight.grad, W1.grad, rtol=1e-12, atol=1e-14)
    everything = debugging.layer_outputs(_net(), nn.functional.cross_entropy, X, y)
    assert list(everything) == ["0", "1", "2"]


def test_layer_outputs_leaves_no_hook_behind():
    net, (X, y) = _net(), _data()
    debugging.layer_outputs(net, nn.functional.cross_entropy, X, y)
    assert all(not m._forward_hooks for m in net.modules())


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: debugging.update_ratios("net", lambda: None), TypeError, "model must be a torch.nn.Module"),
    (lambda: debugging.update_ratios(_net(), None), TypeError, "step must be callable"),
    (lambda: debugging.lr_range_test(_net(), None, optim.SGD(_net().parameters()), [_data()]),
     TypeError, "loss_fn must be callable"),
    (lambda: debugging.lr_range_test(_net(), nn.functional.cross_entropy, "sgd", [_data()]),
     TypeError, "optimizer must be"),
    (lambda: debugging.lr_range_test(_net(), nn.functional.cross_entropy, optim.SGD(_net().parameters()), 3),
     TypeError, "train_loader must be"),
    (lambda: debugging.lr_range_test(_net(), nn.functional.cross_entropy, optim.SGD(_net().parameters()),
                                     [_data()], start_lr=0.0), ValueError, "start_lr must be > 0"),
    (lambda: debugging.lr_range_test(_net(), nn.functional.cross_entropy, optim.SGD(_net().parameters()),
                                     [_data()], start_lr=1.0, end_lr=0.1), ValueError, "end_lr must be >"),
    (lambda: debugging.lr_range_test(_net(), nn.functional.cross_entropy, optim.SGD(_net().parameters()),
                                     [_data()], num_steps=1), ValueError, "num_steps must be an int >= 2"),
    (lambda: debugging.lr_range_test(_net(), nn.functional.cross_entropy, optim.SGD(_net().parameters()),
                                     [_data()], stop_factor=1.0), ValueError, "stop_factor must be > 1"),
    (lambda: debugging.lr_range_test(_net(), nn.functional.cross_entropy, optim.SGD(_net().parameters()), []),
     ValueError, "train_loader is empty"),
    (lambda: debugging.layer_outputs(_net(), nn.functional.cross_entropy, *_data(), modules=A.Tanh),
     TypeError, "modules must be a tuple"),
    (lambda: debugging.layer_outputs(_net(), nn.functional.cross_entropy, *_data(), modules=(A.ReLU,)),
     ValueError, "nothing was recorded"),
    (lambda: debugging.LRRangeTest().lr_at_min, ValueError, "recorded no step"),
])
def test_bad_inputs_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
