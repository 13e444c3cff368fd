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
        (lambda o: ours.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode must be one of 'min', 'max'"),
        (lambda o: ours.ReduceLROnPlateau(o, factor=1.0), ValueError, r"factor must be < 1\.0"),
        (lambda o: ours.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "one value per param group"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, error, message):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(error, match=message):
        make(optimizer)
