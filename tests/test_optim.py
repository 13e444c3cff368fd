"""Tests of nnbasics.optim: every optimizer's trajectory equals torch.optim's twin."""

from __future__ import annotations

import copy
import itertools

import pytest
import torch
from torch import nn

from nnbasics import optim

STEPS = 60


def grid(**options):
    keys = list(options)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*options.values())]


CASES = [
    *[("SGD", kw) for kw in grid(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.3],
                                   weight_decay=[0.0, 0.01], maximize=[False, True])],
    *[("SGD", kw) for kw in grid(lr=[0.05], momentum=[0.5, 0.9], nesterov=[True], weight_decay=[0.0, 0.1])],
    *[("Adagrad", kw) for kw in grid(lr=[0.1], lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.01],
                                       initial_accumulator_value=[0.0, 0.1])],
    *[("RMSprop", kw) for kw in grid(lr=[0.01], alpha=[0.9, 0.99], weight_decay=[0.0, 0.01],
                                       momentum=[0.0, 0.9], centered=[False, True])],
    *[("Adadelta", kw) for kw in grid(lr=[1.0, 0.5], rho=[0.9, 0.5], weight_decay=[0.0, 0.01])],
    *[("Adam", kw) for kw in grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1],
                                    amsgrad=[False, True], maximize=[False, True])],
    *[("AdamW", kw) for kw in grid(lr=[0.01], weight_decay=[0.0, 0.1], amsgrad=[False, True])],
]


def small_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()


def trajectory(net, make_optimizer, steps=STEPS, start=0):
    """Parameters after each step of training ``net`` on a fixed regression problem."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(32, 3, generator=g, dtype=torch.float64)
    Y = torch.randn(32, 2, generator=g, dtype=torch.float64)
    optimizer = make_optimizer(net) if callable(make_optimizer) else make_optimizer
    history = []
    for _ in range(start, steps):
        def closure():
            optimizer.zero_grad()
            loss = (net(X) - Y).pow(2).mean()
            loss.backward()
            return loss

        optimizer.step(closure)
        history.append(torch.cat([p.detach().flatten().clone() for p in net.parameters()]))
    return torch.stack(history), optimizer


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(name, kwargs):
    ours, _ = trajectory(small_net(), lambda net: getattr(optim, name)(net.parameters(), **kwargs))
    theirs, _ = trajectory(small_net(), lambda net: getattr(torch.optim, name)(net.parameters(), **kwargs))
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    assert not torch.equal(ours[0], ours[-1])  # the parameters really moved


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_parameter_groups_with_different_learning_rates(name):
    extra = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}

    def groups(net):
        return [{"params": net[0].parameters(), "lr": 0.02}, {"params": net[2].parameters(), "lr": 0.005}]

    ours, _ = trajectory(small_net(), lambda net: getattr(optim, name)(groups(net), **extra))
    theirs, _ = trajectory(small_net(), lambda net: getattr(torch.optim, name)(groups(net), **extra))
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adagrad", {}),
                                              ("RMSprop", {"centered": True, "momentum": 0.5}),
                                              ("Adadelta", {}), ("Adam", {"amsgrad": True}), ("AdamW", {})])
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    Optimizer = getattr(optim, name)
    straight, _ = trajectory(small_net(), lambda net: Optimizer(net.parameters(), **kwargs))

    net = small_net()
    first, optimizer = trajectory(net, lambda n: Optimizer(n.parameters(), **kwargs), steps=STEPS // 2)
    saved_params, saved_state = copy.deepcopy(net.state_dict()), copy.deepcopy(optimizer.state_dict())
    resumed = small_net(seed=99)  # different weights, then overwritten by the checkpoint
    resumed.load_state_dict(saved_params)
    new_optimizer = Optimizer(resumed.parameters(), **kwargs)
    new_optimizer.load_state_dict(saved_state)
    second, _ = trajectory(resumed, new_optimizer, start=STEPS // 2)
    torch.testing.assert_close(torch.cat([first, second]), straight, rtol=0, atol=0)


def test_torch_loop_accepts_nnbasics_optimizer_and_state_keys_match():
    net = small_net()
    ours = optim.Adam(net.parameters(), lr=0.01)
    trajectory(net, ours, steps=3)
    net2 = small_net()
    theirs = torch.optim.Adam(net2.parameters(), lr=0.01)
    trajectory(net2, theirs, steps=3)
    assert isinstance(ours, torch.optim.Optimizer)
    for p, q in zip(net.parameters(), net2.parameters(), strict=True):
        assert set(ours.state[p]) == set(theirs.state[q])


def test_first_momentum_steps_by_hand():
    # y = w^2 / 2 from w = 1, lr 0.01, momentum 0.9: the gradient is w itself
    w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    sgd = optim.SGD([w], lr=0.01, momentum=0.9)
    expected_w, velocity, value = [], 0.0, 1.0
    for _ in range(3):
        velocity = 0.9 * velocity + value
        value -= 0.01 * velocity
        expected_w.append(value)
    got = []
    for _ in range(3):
        sgd.zero_grad()
        (w**2 / 2).sum().backward()
        sgd.step()
        got.append(w.item())
    assert got == pytest.approx(expected_w, rel=1e-15)
    assert got == pytest.approx([0.99, 0.9711, 0.944379], rel=1e-12)  # v: 1, 1.89, 2.6721


def test_ewma_with_and_without_bias_correction():
    values = [10.0, 20.0, 30.0]
    assert optim.ewma(values, 0.5).tolist() == [5.0, 12.5, 21.25]
    corrected = optim.ewma(values, 0.5, bias_correction=True).tolist()
    assert corrected == pytest.approx([10.0, 12.5 / 0.75, 21.25 / 0.875])
    torch.manual_seed(0)
    temps = torch.randn(30) * 10
    smooth = optim.ewma(temps, 0.9)
    expected, v = [], 0.0
    for t in temps.double().tolist():
        v = 0.9 * v + 0.1 * t
        expected.append(v)
    assert smooth.tolist() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: optim.SGD(p, lr=-0.1), ValueError, r"lr must be >= 0\.0, got -0\.1"),
        (lambda p: optim.Adam(p, lr=-1), ValueError, "lr must be >= 0.0"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be < 1\.0, got 1\.0"),
        (lambda p: optim.Adam(p, betas=(-0.1, 0.9)), ValueError, r"betas\[0\] must be >= 0\.0"),
        (lambda p: optim.Adam(p, betas=0.9), TypeError, "betas must be a pair"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov=True requires momentum > 0"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
         "dampening = 0"),
        (lambda p: optim.RMSprop(p, weight_decay=-1), ValueError, "weight_decay must be >= 0.0"),
        (lambda p: optim.Adadelta(p, rho=1.5), ValueError, r"rho must be <= 1\.0"),
        (lambda p: optim.Adagrad(p, lr_decay=-0.1), ValueError, "lr_decay must be >= 0.0"),
        (lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(small_net().parameters() if "[]" not in message else [])


# --- issue 21: state_dict/load_state_dict and add_param_group behave like torch's (by swapping) ---

SWAP_CASES = [("SGD", {"lr": 0.05, "momentum": 0.9}), ("SGD", {"lr": 0.05}), ("Adagrad", {"lr_decay": 0.01}),
              ("RMSprop", {"centered": True, "momentum": 0.5}), ("Adadelta", {}),
              ("Adam", {"amsgrad": True, "weight_decay": 0.01}), ("AdamW", {})]


SWAP_IDS = [f"{n}-{i}" for i, (n, _) in enumerate(SWAP_CASES)]


@pytest.mark.parametrize(("name", "kwargs"), SWAP_CASES, ids=SWAP_IDS)
@pytest.mark.parametrize("first", ["torch", "nnbasics"])
def test_state_dict_swaps_with_torch(name, kwargs, first):
    """Half the steps by one library, its state_dict loaded into the other's twin: torch's path."""
    modules = {"torch": torch.optim, "nnbasics": optim}
    Before = getattr(modules[first], name)
    After = getattr(modules["nnbasics" if first == "torch" else "torch"], name)
    Torch = getattr(torch.optim, name)
    straight, reference = trajectory(small_net(), lambda net: Torch(net.parameters(), **kwargs))
    net = small_net()
    head, before = trajectory(net, lambda n: Before(n.parameters(), **kwargs), steps=STEPS // 2)
    after = After(net.parameters(), **kwargs)
    after.load_state_dict(copy.deepcopy(before.state_dict()))
    tail, after = trajectory(net, after, start=STEPS // 2)
    torch.testing.assert_close(torch.cat([head, tail]), straight, rtol=1e-6, atol=1e-6)
    for p, q in zip(net.parameters(), reference.param_groups[0]["params"], strict=True):
        assert set(after.state[p]) == set(reference.state[q])  # the same state keys as torch's


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_add_param_group_like_torch(name):
    """A frozen layer unfrozen mid-training with add_param_group: the same trajectory as torch."""
    results = []
    for module in (optim, torch.optim):
        net = small_net()
        optimizer = getattr(module, name)(net[0].parameters(), lr=0.01)
        first, _ = trajectory(net, optimizer, steps=5)
        optimizer.add_param_group({"params": net[2].parameters(), "lr": 0.003})
        groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        second, _ = trajectory(net, optimizer, steps=10, start=5)
        results.append((torch.cat([first, second]), groups))
    (mine, my_groups), (theirs, their_groups) = results
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-6)
    assert my_groups[1]["lr"] == 0.003
    for mine_group, their_group in zip(my_groups, their_groups, strict=True):  # defaults filled in alike
        assert {k: mine_group[k] for k in mine_group} == {k: their_group[k] for k in mine_group}
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optimizer.add_param_group({"params": net[0].parameters()})


def test_adam_decoupled_weight_decay_is_adamw_like_torch():
    kwargs = {"lr": 0.01, "weight_decay": 0.1}
    kwargs = {**kwargs, "decoupled_weight_decay": True}
    mine, _ = trajectory(small_net(), lambda n: optim.Adam(n.parameters(), **kwargs))
    theirs, _ = trajectory(small_net(), lambda n: torch.optim.Adam(n.parameters(), **kwargs))
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-6)
    plain, _ = trajectory(small_net(), lambda n: optim.Adam(n.parameters(), lr=0.01, weight_decay=0.1))
    assert not torch.allclose(mine, plain)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_step_returns_the_closures_loss_like_torch(name):
    p = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    optimizer = getattr(optim, name)([p], lr=0.1)
    seen = []

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        seen.append(loss)
        return loss

    assert optimizer.step(closure) is seen[0]
    assert torch.is_grad_enabled()
    assert optimizer.step() is None


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_defaults_are_torchs(name):
    import inspect

    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    for parameter in inspect.signature(getattr(optim, name)).parameters.values():
        if parameter.default is not inspect.Parameter.empty and parameter.name in theirs:
            assert parameter.default == theirs[parameter.name].default, parameter.name
    p = torch.nn.Parameter(torch.zeros(1))
    mine, torchs = getattr(optim, name)([p]).defaults, getattr(torch.optim, name)([p]).defaults
    assert {k: v for k, v in mine.items() if k in torchs} == {k: torchs[k] for k in mine if k in torchs}


# --- issue 21: tests that kill the mutants of optim/__init__.py that survived ----------------------


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_state_keys_like_torch(name, kwargs):
    states = []
    for module in (optim, torch.optim):
        p = nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
        optimizer = getattr(module, name)([p], **kwargs)
        for _ in range(2):
            optimizer.zero_grad()
            (p * p).sum().backward()
            optimizer.step()
        states.append(dict(optimizer.state[p]))
    assert set(states[0]) == set(states[1])
    if "step" in states[1]:  # the count torch keeps, also where the update does not read it
        assert float(states[0]["step"]) == float(states[1]["step"]) == 2.0


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_a_parameter_without_gradient_is_left_alone_and_sparse_gradients_are_refused(name):
    used, unused = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    extra = {"momentum": 0.9} if name == "SGD" else {}  # SGD keeps state only with momentum
    optimizer = getattr(optim, name)([used, unused], lr=0.1, **extra)
    (used * used).sum().backward()
    optimizer.step()
    assert unused.grad is None and torch.equal(unused, torch.ones(2)) and unused not in optimizer.state
    assert not torch.equal(used, torch.ones(2))
    used.grad = torch.ones(2).to_sparse()
    with pytest.raises(TypeError, match=f"{name} does not support sparse gradients"):
        optimizer.step()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: optim.Adam(p, eps=-1e-8), ValueError, r"eps must be >= 0\.0, got -1e-08"),
        (lambda p: optim.Adagrad(p, eps=-1.0), ValueError, r"eps must be >= 0\.0"),
        (lambda p: optim.SGD(p, momentum=-0.5), ValueError, r"momentum must be >= 0\.0, got -0\.5"),
        (lambda p: optim.SGD(p, dampening="none"), TypeError, "dampening must be a real number"),
        (lambda p: optim.RMSprop(p, momentum=-0.5), ValueError, r"momentum must be >= 0\.0"),
        (lambda p: optim.RMSprop(p, alpha=-0.1), ValueError, r"alpha must be >= 0\.0"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), ValueError,
         r"initial_accumulator_value must be >= 0\.0"),
        (lambda p: optim.Adam(p, betas=(0.9, 0.99, 0.5)), TypeError, "betas must be a pair"),
    ],
)
def test_more_bad_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(small_net().parameters())


def test_ewma_refuses_beta_1_and_the_base_class_needs_an_update_rule():
    with pytest.raises(ValueError, match=r"beta must be < 1\.0, got 1\.0"):
        optim.ewma([1.0, 2.0], 1.0)

    class Bare(optim._Optimizer):
        pass

    p = nn.Parameter(torch.ones(2))
    bare = Bare([p], {"lr": 0.1})
    p.grad = torch.ones(2)
    with pytest.raises(NotImplementedError):
        bare.step()
    with pytest.raises(NotImplementedError):
        bare._init_state(p, {}, bare.param_groups[0])
    with pytest.raises(NotImplementedError):
        bare._update(p, p.grad, {}, bare.param_groups[0])


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_weight_decay_0_adds_nothing_even_to_an_infinite_parameter_like_torch(name):
    results = []
    for module in (optim, torch.optim):
        p = nn.Parameter(torch.tensor([float("inf"), 1.0], dtype=torch.float64))
        optimizer = getattr(module, name)([p], lr=0.1, weight_decay=0.0)
        for _ in range(2):
            optimizer.zero_grad()
            (p[1] ** 2).backward()  # no gradient on the infinite entry: it stays inf (0 * inf would be NaN)
            optimizer.step()
        results.append(p.detach().clone())
    torch.testing.assert_close(results[0], results[1], rtol=1e-12, atol=0)
    assert results[0][0] == float("inf")


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_a_checkpoint_without_maximize_descends_like_torch(name):
    """Parameter groups saved before torch had ``maximize`` lack the key: both read it as False."""
    results = []
    for module in (optim, torch.optim):
        p = nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
        optimizer = getattr(module, name)([p], lr=0.1)
        old = optimizer.state_dict()
        for group in old["param_groups"]:
            del group["maximize"]
        optimizer.load_state_dict(old)
        optimizer.zero_grad()
        (p * p).sum().backward()
        optimizer.step()
        results.append(p.detach().clone())
    torch.testing.assert_close(results[0], results[1], rtol=1e-12, atol=0)
    assert results[0].abs().sum() < 3.0  # towards the minimum at 0
