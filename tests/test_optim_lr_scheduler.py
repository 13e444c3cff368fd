"""Tests of nnbasics.optim.lr_scheduler: every schedule's sequence equals torch's."""

from __future__ import annotations

import pytest
import torch

from nnbasics.optim import lr_scheduler as ours

EPOCHS = 200

SCHEDULES = [
    ("StepLR", {"step_size": 30, "gamma": 0.1}),
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [50, 125, 160], "gamma": 0.1}),
    ("MultiStepLR", {"milestones": [160, 50], "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("CosineAnnealingLR", {"T_max": 200}),
    ("CosineAnnealingLR", {"T_max": 50, "eta_min": 0.001}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 20}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 100}),
]


def lr_sequence(module, name, kwargs, epochs=EPOCHS, lrs=(0.1, 0.03)):
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in lrs]
    optimizer = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)])
    scheduler = getattr(module, name)(optimizer, **kwargs)
    sequence = []
    for _ in range(epochs):
        sequence.append([group["lr"] for group in optimizer.param_groups])
        assert scheduler.get_last_lr() == sequence[-1]
        optimizer.step()
        scheduler.step()
    return torch.tensor(sequence, dtype=torch.float64)


IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SCHEDULES)]


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=IDS)
def test_schedule_matches_torch(name, kwargs):
    mine = lr_sequence(ours, name, kwargs)
    torch.testing.assert_close(mine, lr_sequence(torch.optim.lr_scheduler, name, kwargs),
                               rtol=1e-10, atol=1e-14)
    assert mine[0, 0] > 0 and not torch.all(mine == mine[0, 0])


def test_worked_schedule_values():
    lrs = lr_sequence(ours, "MultiStepLR", {"milestones": [50, 125, 160], "gamma": 0.1}, lrs=(0.1,))
    assert lrs[49, 0].item() == pytest.approx(0.1)
    assert lrs[50, 0].item() == pytest.approx(0.01)
    assert lrs[130, 0].item() == pytest.approx(0.001)
    assert lrs[199, 0].item() == pytest.approx(0.0001)
    exp = lr_sequence(ours, "ExponentialLR", {"gamma": 0.95}, lrs=(0.1,))
    assert exp[10, 0].item() == pytest.approx(0.1 * 0.95**10)
    cos = lr_sequence(ours, "CosineAnnealingLR", {"T_max": 200}, lrs=(0.1,))
    assert cos[100, 0].item() == pytest.approx(0.05)


def plateau_sequence(module, metrics, **kwargs):
    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=1.0)
    scheduler = module.ReduceLROnPlateau(optimizer, **kwargs)
    out = []
    for value in metrics:
        scheduler.step(value)
        out.append(optimizer.param_groups[0]["lr"])
    return out


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"patience": 2}, {"patience": 1, "cooldown": 2, "factor": 0.5},
     {"mode": "max", "patience": 1}, {"threshold_mode": "abs", "threshold": 0.05, "patience": 0},
     {"patience": 0, "min_lr": 0.3, "factor": 0.5}],
)
def test_reduce_on_plateau_matches_torch(kwargs):
    g = torch.Generator().manual_seed(0)
    metrics = (torch.linspace(1.0, 0.5, 40) + 0.05 * torch.randn(40, generator=g)).tolist()
    metrics += [0.6] * 30  # a plateau
    mine = plateau_sequence(ours, metrics, **kwargs)
    assert mine == pytest.approx(plateau_sequence(torch.optim.lr_scheduler, metrics, **kwargs), rel=1e-12)
    assert mine[-1] < 1.0


def test_state_dict_round_trip():
    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=0.1)
    scheduler = ours.StepLR(optimizer, step_size=3)
    for _ in range(4):
        scheduler.step()
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 4
    optimizer2 = torch.optim.SGD([p], lr=0.1)
    resumed = ours.StepLR(optimizer2, step_size=3)
    # as in torch: the scheduler is built before the optimizer's state is restored
    optimizer2.load_state_dict(optimizer.state_dict())
    resumed.load_state_dict(state)
    resumed.step()
    assert resumed.last_epoch == 5 and optimizer2.param_groups[0]["lr"] == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: ours.StepLR(o, step_size=0), ValueError, "step_size must be an int >= 1, got 0"),
        (lambda o: ours.StepLR("sgd", step_size=2), TypeError, "optimizer must be a torch.optim.Optimizer"),
        (lambda o: ours.ExponentialLR(o, gamma=-0.5), ValueError, "gamma must be >= 0.0"),
        (lambda o: ours.MultiStepLR(o, milestones=[10, -1]), ValueError, "each milestone must be an int"),
        (lambda o: ours.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be an int >= 1"),
        (lambda o: ours.LinearLR(o, start_factor=0.0), ValueError, r"start_factor must be > 0\.0"),
        (lambda o: ours.LinearLR(o, start_factor=1.5), ValueError, r"start_factor must be <= 1\.0, got 1\.5"),
        (lambda o: ours.LinearLR(o, end_factor=1.5), ValueError, r"end_factor must be <= 1\.0, got 1\.5"),
        (lambda o: ours.LinearLR(o, total_iters=0), ValueError, "total_iters must be an int >= 1, got 0"),
        (lambda o: ours.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode must be one of 'min', 'max'"),
        (lambda o: ours.ReduceLROnPlateau(o, factor=1.0), ValueError, r"factor must be < 1\.0"),
        (lambda o: ours.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "one value per param group"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, error, message):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(error, match=message):
        make(optimizer)


# --- issue 21: schedulers interoperate with torch's (SequentialLR, ChainedScheduler, state_dict) ---

COMBINATIONS = [
    [("LinearLR", {"start_factor": 0.1, "total_iters": 5}), ("CosineAnnealingLR", {"T_max": 20})],
    [("StepLR", {"step_size": 3, "gamma": 0.5}), ("ExponentialLR", {"gamma": 0.9})],
    [("MultiStepLR", {"milestones": [4, 9], "gamma": 0.3}),
     ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}), ("LinearLR", {})],
]


def combined_sequence(module, parts, combine, epochs=30):
    """lrs per epoch of torch's SequentialLR/ChainedScheduler over schedulers from ``module``."""
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(2)]
    optimizer = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.03}])
    schedulers = [getattr(module, name)(optimizer, **kwargs) for name, kwargs in parts]
    if combine == "sequential":
        milestones = [6 * (i + 1) for i in range(len(parts) - 1)]
        outer = torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers, milestones)
    else:
        outer = torch.optim.lr_scheduler.ChainedScheduler(schedulers, optimizer)
    sequence = []
    for _ in range(epochs):
        sequence.append([group["lr"] for group in optimizer.param_groups])
        assert outer.get_last_lr() == pytest.approx(sequence[-1], rel=1e-12)
        optimizer.step()
        outer.step()
    return torch.tensor(sequence, dtype=torch.float64)


@pytest.mark.parametrize("combine", ["sequential", "chained"])
@pytest.mark.parametrize("parts", COMBINATIONS, ids=["warmup-cosine", "step-exp", "three"])
def test_inside_torch_sequential_and_chained(parts, combine):
    mine = combined_sequence(ours, parts, combine)
    expected = combined_sequence(torch.optim.lr_scheduler, parts, combine)
    torch.testing.assert_close(mine, expected, rtol=1e-10, atol=1e-14)
    assert not torch.allclose(mine, lr_sequence(ours, *parts[0], epochs=30))  # the combination acts


def scheduler_pair(name, kwargs, lr=0.1):
    """The same schedule from nnbasics and from torch, each on its own SGD."""
    made = []
    for module in (ours, torch.optim.lr_scheduler):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr)
        made.append((optimizer, getattr(module, name)(optimizer, **kwargs)))
    return made


STATEFUL = [*SCHEDULES, ("ReduceLROnPlateau", {"patience": 1, "min_lr": [0.001]}),
            ("ReduceLROnPlateau", {"mode": "max", "factor": 0.5, "cooldown": 1})]


def advance(optimizer, scheduler, epochs, metrics=None):
    for epoch in range(epochs):
        optimizer.step()
        if isinstance(scheduler, ours.ReduceLROnPlateau | torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(metrics[epoch])
        else:
            scheduler.step()
    return [group["lr"] for group in optimizer.param_groups]


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.9, 0.91, 0.92] * 6


@pytest.mark.parametrize(("name", "kwargs"), STATEFUL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(STATEFUL)])
def test_state_dict_has_torch_keys_and_loads_both_ways(name, kwargs):
    (my_opt, mine), (torch_opt, theirs) = scheduler_pair(name, kwargs)
    advance(my_opt, mine, 13, PLATEAU_METRICS)
    advance(torch_opt, theirs, 13, PLATEAU_METRICS)
    assert set(mine.state_dict()) == set(theirs.state_dict())
    # torch's state into ours (and the optimizer's), then both run on: the same rates
    swaps = ((torch_opt, theirs, ours), (my_opt, mine, torch.optim.lr_scheduler))
    for source_opt, source, direction in swaps:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
        target = getattr(direction, name)(optimizer, **kwargs)
        optimizer.load_state_dict(source_opt.state_dict())
        target.load_state_dict(source.state_dict())
        later = advance(optimizer, target, 40, PLATEAU_METRICS[13:])
        reference_opt, reference = scheduler_pair(name, kwargs)[1]
        advance(reference_opt, reference, 53, PLATEAU_METRICS)
        assert later == pytest.approx([g["lr"] for g in reference_opt.param_groups], rel=1e-10)
        assert target.last_epoch == reference.last_epoch == 53


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "max", "patience": 1, "threshold": 0.05},
     {"mode": "max", "threshold_mode": "abs", "threshold": 0.02, "patience": 2},
     {"mode": "max", "patience": 0, "cooldown": 1, "factor": 0.5, "min_lr": 0.2, "threshold_mode": "abs"},
     {"patience": 0, "factor": 0.5, "eps": 0.25}],  # 0.5 -> 0.25 is a change of exactly eps: not made
)
def test_reduce_on_plateau_max_mode_and_thresholds_match_torch(kwargs):
    # A rising metric (an accuracy) with small gains: which gains count depends on mode and threshold.
    metrics = [0.5, 0.52, 0.6, 0.61, 0.62, 0.7, 0.7, 0.69, 0.71, 0.72, 0.72, 0.8, 0.79, 0.78, 0.77, 0.9]
    metrics += [0.9] * 6
    mine = plateau_sequence(ours, metrics, **kwargs)
    assert mine == pytest.approx(plateau_sequence(torch.optim.lr_scheduler, metrics, **kwargs), rel=1e-12)
    assert len(set(mine)) > 1


def test_defaults_are_torchs():
    import inspect

    names = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ReduceLROnPlateau")
    for name in names:
        theirs = inspect.signature(getattr(torch.optim.lr_scheduler, name)).parameters
        for parameter in inspect.signature(getattr(ours, name)).parameters.values():
            if parameter.default is not inspect.Parameter.empty:
                expected = theirs[parameter.name].default
                assert parameter.default == pytest.approx(expected), (name, parameter.name)


@pytest.mark.parametrize("min_lr", [0.05, [0.05]])
def test_reduce_on_plateau_after_add_param_group_like_torch(min_lr):
    def run(module):
        p, q = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([p], lr=1.0)
        scheduler = module.ReduceLROnPlateau(optimizer, patience=0, factor=0.5, min_lr=min_lr)
        scheduler.step(1.0)
        optimizer.add_param_group({"params": [q], "lr": 0.4})
        try:
            for value in (2.0, 2.0, 2.0, 2.0, 2.0):
                scheduler.step(value)
        except (ValueError, RuntimeError):  # torch raises RuntimeError, nnbasics a ValueError
            return "refused"
        return [g["lr"] for g in optimizer.param_groups], scheduler.get_last_lr(), scheduler.num_bad_epochs

    mine, theirs = run(ours), run(torch.optim.lr_scheduler)
    if isinstance(min_lr, list):
        assert mine == theirs == "refused"
        with pytest.raises(ValueError, match="min_lrs has 1 values but the optimizer now has 2 param groups"):
            optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))])
            scheduler = ours.ReduceLROnPlateau(optimizer, patience=0, min_lr=min_lr)
            scheduler.optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))]})
            scheduler.step(1.0)
            scheduler.step(1.0)
    else:
        assert mine == theirs and mine[0] == [0.05, 0.05]


def test_reduce_on_plateau_counts_epochs_and_reports_the_last_lr_like_torch():
    def run(module):
        p = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([p], lr=1.0)
        scheduler = module.ReduceLROnPlateau(optimizer, patience=1, factor=0.5)
        seen = [scheduler.get_last_lr()]
        for epoch, value in enumerate([1.0, 1.0, 1.0, 0.5, 0.5, 0.5]):
            scheduler.step(value, epoch=10 * epoch) if epoch == 2 else scheduler.step(value)
            seen.append((scheduler.get_last_lr(), scheduler.last_epoch, scheduler.num_bad_epochs,
                         scheduler.best, scheduler.cooldown_counter))
        return seen

    assert run(ours) == run(torch.optim.lr_scheduler)


@pytest.mark.parametrize(("mode", "metrics"),
                         [("max", [0.5, 0.75, 1.0, 1.25, 1.5]), ("min", [1.5, 1.25, 1.0, 0.75, 0.5])])
@pytest.mark.parametrize("threshold_mode", ["abs", "rel"])
def test_reduce_on_plateau_gain_of_exactly_the_threshold_is_no_improvement(mode, metrics, threshold_mode):
    # Binary-exact steps of 0.25: with threshold 0.25 (abs) every step is exactly on the bar.
    threshold = 0.25 if threshold_mode == "abs" else 0.5
    kwargs = {"mode": mode, "threshold_mode": threshold_mode, "threshold": threshold, "patience": 0,
              "factor": 0.5}
    mine = plateau_sequence(ours, metrics, **kwargs)
    assert mine == plateau_sequence(torch.optim.lr_scheduler, metrics, **kwargs)
    assert len(set(mine)) > 1


def test_reduce_on_plateau_state_before_any_step_and_milestone_zero_like_torch():
    def state(module):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
        scheduler = module.ReduceLROnPlateau(optimizer, mode="max")
        return (scheduler.get_last_lr(), scheduler.num_bad_epochs, scheduler.cooldown_counter,
                scheduler.last_epoch, scheduler.best, scheduler.mode_worse)

    assert state(ours) == state(torch.optim.lr_scheduler)
    kwargs = {"milestones": [0, 3]}
    mine = lr_sequence(ours, "MultiStepLR", kwargs, epochs=5, lrs=(1.0,))
    theirs = lr_sequence(torch.optim.lr_scheduler, "MultiStepLR", kwargs, epochs=5, lrs=(1.0,))
    assert torch.equal(mine, theirs)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_a_rate_changed_by_hand_is_kept_like_torch_also_where_the_cosine_sits_on_its_floor(eta_min):
    """Halving the rate by hand every fourth epoch: the next steps scale from the changed rate,
    by the same ratio above ``eta_min`` or, from the cosine's floor (epoch T_max), by the same
    step, as torch's chainable form does."""
    def run(module):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        scheduler = module.CosineAnnealingLR(optimizer, T_max=4, eta_min=eta_min)
        rates = []
        for epoch in range(20):
            if epoch % 4 == 0:  # epochs 4, 12: the cosine on its floor; 0, 8, 16: at its top
                optimizer.param_groups[0]["lr"] *= 0.5
            optimizer.step()
            scheduler.step()
            rates.append(optimizer.param_groups[0]["lr"])
        return torch.tensor(rates, dtype=torch.float64)

    mine, theirs = run(ours), run(torch.optim.lr_scheduler)
    torch.testing.assert_close(mine, theirs, rtol=1e-10, atol=1e-14)
    assert not torch.allclose(mine, lr_sequence(ours, "CosineAnnealingLR", {"T_max": 4, "eta_min": eta_min},
                                               epochs=21, lrs=(0.1,))[1:, 0])


def test_a_schedule_without_a_formula_says_so():
    class NoFormula(ours._Schedule):
        pass

    with pytest.raises(NotImplementedError):
        NoFormula(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), last_epoch=-1)
