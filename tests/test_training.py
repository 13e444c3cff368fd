"""Tests of nnbasics.training: fit, evaluate and accuracy."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nnbasics import losses, optim
from nnbasics.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from nnbasics.regularization import EarlyStopping
from nnbasics.training import History, accuracy, evaluate, fit, train_step
from nnbasics.utils import progress_bar


def data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g, dtype=torch.float64)
    y = (X @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.3).unsqueeze(1)
    return X, y


def loader(X, y, batch_size=16, shuffle=False):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle)


def model(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(3, 1).double()


def test_fit_equals_a_hand_written_loop_and_reaches_a_small_loss():
    X, y = data()
    net = model()
    history = fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.1), loader(X, y), epochs=30,
                  progress=False)
    reference = model()
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    steps = []
    for _ in range(30):
        for xb, yb in loader(X, y):
            opt.zero_grad()
            loss = nn.functional.mse_loss(reference(xb), yb)
            loss.backward()
            opt.step()
            steps.append(loss.item())
    assert history.step_loss == pytest.approx(steps, rel=1e-12)
    assert history["loss"][-1] < 1e-6  # a linear target: the loss goes to 0
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_history_lengths_validation_and_metrics():
    X, y = data(80)
    labels = (y.squeeze(1) > 0).long()
    net = nn.Sequential(nn.Linear(3, 2)).double()
    train = DataLoader(TensorDataset(X[:60], labels[:60]), batch_size=16)
    val = DataLoader(TensorDataset(X[60:], labels[60:]), batch_size=8)
    history = fit(net, losses.cross_entropy, optim.Adam(net.parameters(), lr=0.05), train, epochs=5,
                  val_loader=val, metrics={"accuracy": accuracy}, progress=False)
    assert len(history) == 5 and len(history.step_loss) == 5 * 4  # ceil(60 / 16) = 4 steps
    assert set(history.epochs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    final = evaluate(net, losses.cross_entropy, val, {"accuracy": accuracy})
    assert final["loss"] == pytest.approx(history["val_loss"][-1])
    assert final["accuracy"] == pytest.approx(accuracy(net(X[60:]), labels[60:]))


def test_scheduler_steps_once_per_epoch_and_plateau_gets_the_validation_loss():
    X, y = data()
    net = model()
    opt = optim.SGD(net.parameters(), lr=0.1)
    history = fit(net, losses.mse_loss, opt, loader(X, y), epochs=6, scheduler=StepLR(opt, step_size=2),
                  progress=False)
    assert history.lr == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    seen = []

    class Spy(ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)

    opt2 = optim.SGD(model().parameters(), lr=0.1)
    history = fit(model(), losses.mse_loss, opt2, loader(X, y), epochs=3, val_loader=loader(X, y),
                  scheduler=Spy(opt2), progress=False)
    assert seen == history["val_loss"]


def test_early_stopping_callback_stops_training():
    X, y = data()
    net = model()
    # lr 0 never improves: patience 2 stops after epoch 3 (epochs 1 and 2 and 3 without improvement)
    history = fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.0), loader(X, y), epochs=20,
                  val_loader=loader(X, y), callbacks=[EarlyStopping(patience=2)], progress=False)
    assert len(history) == 4


def test_progress_bar_can_be_disabled(capsys):
    X, y = data()
    net = model()
    fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.1), loader(X, y), epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs must be an int >= 1, got 0"),
        ({"train_loader": []}, ValueError, "train_loader is empty"),
        ({"val_loader": DataLoader(TensorDataset(torch.empty(0, 3), torch.empty(0, 1)))}, ValueError,
         "val_loader is empty"),
        ({"train_loader": 5}, TypeError, "train_loader must be an iterable"),
        ({"loss_fn": "mse"}, TypeError, "loss_fn must be callable"),
        ({"model": lambda x: x}, TypeError, "model must be a torch.nn.Module"),
        ({"optimizer": "sgd"}, TypeError,
         r"optimizer must be a torch.optim.Optimizer \(e.g. nnbasics.optim.SGD\), got str"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    X, y = data()
    net = model()
    args = {"model": net, "loss_fn": losses.mse_loss, "optimizer": optim.SGD(net.parameters(), lr=0.1),
            "train_loader": loader(X, y), "epochs": 1, "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        fit(**args)


def test_accuracy_and_its_errors():
    assert accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])) == 0.5
    with pytest.raises(ValueError, match=r"accuracy expects scores \[N, C\]"):
        accuracy(torch.ones(3), torch.ones(3))
    for output, target in [([[0.1, 0.9]], torch.tensor([1])), (torch.tensor([[0.1, 0.9]]), [1])]:
        with pytest.raises(TypeError, match="output and target must be tensors"):
            accuracy(output, target)
    assert isinstance(History(), History)


def test_train_step_is_one_hand_written_step_and_clips_like_torch():
    X, y = data(n=16)
    for max_grad_norm in (None, 0.5, 1e3):  # no clipping; clipping that acts; a bound never reached
        net, reference = model(), model()
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):  # momentum: the later steps use the earlier ones' state
            with torch.no_grad():
                expected_output = net(X)
            loss, output, grad_norm = train_step(net, losses.mse_loss, opt, X, y, max_grad_norm)
            ref_opt.zero_grad()
            ref_loss = nn.functional.mse_loss(reference(X), y)
            ref_loss.backward()
            norm = None
            if max_grad_norm is not None:
                norm = torch.nn.utils.clip_grad_norm_(reference.parameters(), max_grad_norm).item()
            ref_opt.step()
            assert isinstance(loss, float) and loss == pytest.approx(ref_loss.item(), rel=1e-12)
            assert not output.requires_grad and output.shape == (16, 1)
            torch.testing.assert_close(output, expected_output, rtol=1e-12, atol=1e-12)  # before the step
            assert grad_norm == (None if norm is None else pytest.approx(norm, rel=1e-12))
            for p, q in zip(net.parameters(), reference.parameters(), strict=True):
                torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)
        if max_grad_norm == 0.5:
            assert grad_norm > 0.5  # the bound acted: the norm before clipping is above it
    # one plain SGD step clipped at 0.5 is the unclipped step times 0.5 / (norm + 1e-6), torch's factor
    clipped, free, start = model(), model(), model()
    _, _, norm = train_step(clipped, losses.mse_loss, optim.SGD(clipped.parameters(), lr=0.1), X, y, 0.5)
    train_step(free, losses.mse_loss, optim.SGD(free.parameters(), lr=0.1), X, y)
    scale = 0.5 / (norm + 1e-6)
    assert scale < 0.5
    for c, f, s in zip(clipped.parameters(), free.parameters(), start.parameters(), strict=True):
        torch.testing.assert_close(c - s, (f - s) * scale, rtol=1e-12, atol=1e-15)


def test_fit_with_max_grad_norm_equals_a_clipping_loop_and_records_the_norms():
    X, y = data()
    net = model()
    history = fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.1), loader(X, y), epochs=4,
                  max_grad_norm=1.0, progress=False)
    reference = model()
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    steps, norms = [], []
    for _ in range(4):
        for xb, yb in loader(X, y):
            opt.zero_grad()
            loss = nn.functional.mse_loss(reference(xb), yb)
            loss.backward()
            norms.append(torch.nn.utils.clip_grad_norm_(reference.parameters(), 1.0).item())
            opt.step()
            steps.append(loss.item())
    assert history.step_loss == pytest.approx(steps, rel=1e-12)
    assert history.grad_norm == pytest.approx(norms, rel=1e-12) and len(history.grad_norm) == 4 * 4
    assert sum(n > 1.0 for n in history.grad_norm) >= 4  # the first steps' gradients are above the bound
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)
    unclipped = fit(model(), losses.mse_loss, optim.SGD(model().parameters(), lr=0.1), loader(X, y), epochs=1,
                    progress=False)
    assert unclipped.grad_norm == []  # recorded only when fit clips


def test_fit_over_one_full_batch_takes_one_step_per_epoch():
    X, y = data(n=20)
    net = model()
    history = fit(net, losses.mse_loss, optim.Adam(net.parameters(), lr=0.05), [(X, y)], epochs=7,
                  progress=False)
    reference = model()
    opt = optim.Adam(reference.parameters(), lr=0.05)
    steps = [train_step(reference, losses.mse_loss, opt, X, y)[0] for _ in range(7)]
    assert history.step_loss == steps  # the same code: the same floats
    assert history["loss"] == steps and len(history) == 7
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1.0, ValueError, r"max_grad_norm must be >= 0.0, got -1.0"),
        (float("nan"), ValueError, "max_grad_norm must be finite, got nan"),
        ("1", TypeError, "max_grad_norm must be a real number, got str"),
        (True, TypeError, "max_grad_norm must be a real number, got bool"),
    ],
)
def test_bad_max_grad_norm_raises_clear_errors_before_any_step(value, error, message):
    X, y = data(n=8)
    net = model()
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(error, match=message):
        fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.1), loader(X, y), epochs=1,
            max_grad_norm=value, progress=False)
    with pytest.raises(error, match=message):
        train_step(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.1), X, y, max_grad_norm=value)
    assert all(torch.equal(p, b) for p, b in zip(net.parameters(), before, strict=True))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"model": lambda x: x}, TypeError, "model must be a torch.nn.Module, got function"),
        ({"loss_fn": "mse"}, TypeError, "loss_fn must be callable"),
        ({"optimizer": "sgd"}, TypeError,
         r"optimizer must be a torch.optim.Optimizer \(e.g. nnbasics.optim.SGD\), got str"),
    ],
)
def test_train_step_checks_its_arguments(kwargs, error, message):
    X, y = data(n=8)
    net = model()
    args = {"model": net, "loss_fn": losses.mse_loss, "optimizer": optim.SGD(net.parameters(), lr=0.1),
            "inputs": X, "targets": y, **kwargs}
    with pytest.raises(error, match=message):
        train_step(**args)


def test_epoch_loss_and_metrics_are_weighted_by_batch_size():
    # 5 samples in batches of 2, 2, 1: the epoch loss is the mean over samples, not over batches.
    X, y = data(n=5)
    net = model()
    history = fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.0), loader(X, y, batch_size=2),
                  epochs=1, metrics={"err": lambda out, t: (out - t).abs().mean().item()}, progress=False)
    with torch.no_grad():
        out = net(X)
    assert history["loss"][0] == pytest.approx(losses.mse_loss(out, y).item(), rel=1e-12)
    assert history["err"][0] == pytest.approx((out - y).abs().mean().item(), rel=1e-12)
    assert len(history.step_loss) == 3


def test_every_epoch_trains_in_training_mode():
    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = model()
            self.modes = []

        def forward(self, x):
            self.modes.append(self.training)
            return self.linear(x)

    X, y = data(n=8)
    net = Recorder().eval()  # left in evaluation mode, and evaluate() sets it again each epoch
    fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.01), loader(X, y, batch_size=4),
        epochs=2, val_loader=loader(X, y, batch_size=8), progress=False)
    assert net.modes == [True, True, False, True, True, False]


def test_evaluate_weights_batches_by_size_and_keeps_the_models_mode():
    X, y = data(n=5)
    net = model().train()
    result = evaluate(net, losses.mse_loss, loader(X, y, batch_size=2),
                      {"err": lambda out, t: (out - t).abs().mean().item()})
    with torch.no_grad():
        out = net(X)
    expected = {"loss": losses.mse_loss(out, y).item(), "err": (out - y).abs().mean().item()}
    assert result == pytest.approx(expected, rel=1e-12)
    assert net.training
    with pytest.raises(ValueError, match="loader is empty: it yielded no batch"):
        evaluate(net, losses.mse_loss, iter([]))


def test_an_empty_generator_and_history_bookkeeping():
    net = model()
    opt = optim.SGD(net.parameters(), lr=0.0)
    with pytest.raises(ValueError, match="train_loader is empty: it yielded no batch"):
        fit(net, losses.mse_loss, opt, iter([]), epochs=1, progress=False)
    history = History()
    assert len(history) == 0
    history.log({"loss": 1.0, "acc": 0.5})
    history.log({"loss": 0.5, "acc": 0.75})
    assert len(history) == 2 and history["loss"] == [1.0, 0.5] and history["acc"] == [0.5, 0.75]
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(scores, torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)


def test_evaluate_checks_its_loader():
    net = model()
    with pytest.raises(TypeError, match="loader must be an iterable of"):
        evaluate(net, losses.mse_loss, 5)
    with pytest.raises(ValueError, match="loader is empty: it yields no batch"):  # found before the loop
        evaluate(net, losses.mse_loss, DataLoader(TensorDataset(torch.empty(0, 3), torch.empty(0, 1))))


def test_progress_bar_is_on_by_default_shows_the_logs_and_is_closed(monkeypatch):
    import nnbasics.training as training

    calls = []

    def spy(iterable, show=True, **kwargs):
        calls.append(("open", show, kwargs))
        bar = progress_bar(iterable, show=show, **kwargs)
        set_postfix, close = bar.set_postfix, bar.close
        bar.set_postfix = lambda logs: calls.append(("postfix", logs)) or set_postfix(logs)
        bar.close = lambda: calls.append(("close",)) or close()
        return bar

    monkeypatch.setattr(training, "progress_bar", spy)
    monkeypatch.setenv("TQDM_DISABLE", "1")  # the same calls either way; a disabled bar never closes itself
    X, y = data(n=8)
    net = model()
    history = fit(net, losses.mse_loss, optim.SGD(net.parameters(), lr=0.01), loader(X, y, batch_size=4),
                  epochs=2)
    assert calls[0] == ("open", True, {"desc": "epochs", "leave": False})  # shown; gone when done
    assert calls[1:3] == [("postfix", {"loss": f"{history['loss'][0]:.4f}"}),
                          ("postfix", {"loss": f"{history['loss'][1]:.4f}"})]
    assert calls[-1] == ("close",)


def test_train_step_detaches_every_tensor_of_a_tuple_output():
    """A model returning ``(logits, (h, c))``, as the recurrent chapter's language models do: the
    loss function gets the tuple, and the step returns it with every tensor detached."""
    from collections import namedtuple

    State = namedtuple("State", "h c")

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 2)

        def forward(self, x):
            out = self.linear(x)
            return out, State(out.sum(1), [out.mean(1)])

    torch.manual_seed(0)
    model, x, y = WithState(), torch.randn(4, 3), torch.tensor([0, 1, 1, 0])
    before = model.linear.weight.detach().clone()
    expected = torch.nn.functional.cross_entropy(model.linear(x), y).item()  # before the step
    loss, (logits, state), _ = train_step(model, lambda out, t: losses.cross_entropy(out[0], t),
                                          optim.SGD(model.parameters(), lr=0.1), x, y)
    assert loss == pytest.approx(expected, rel=1e-6)
    assert isinstance(state, State) and isinstance(state.c, list)
    assert not logits.requires_grad and not state.h.requires_grad and not state.c[0].requires_grad
    assert not torch.equal(model.linear.weight, before)  # the step was taken
