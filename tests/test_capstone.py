"""Tests of nnbasics.capstone: data splits, the confusion matrix, and every model against its
torch.nn twin (the same state dict gives the same outputs and gradients)."""

from __future__ import annotations

import pytest
import torch
from conftest import random_tensor
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix
from torch import nn

from nnbasics import capstone as K
from nnbasics.layers import count_parameters


class TorchMLP(nn.Module):  # the reference MLPBase, written with torch.nn
    def __init__(self, hidden_size=256):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(40, hidden_size), nn.Linear(hidden_size, hidden_size)
        self.linear3 = nn.Linear(hidden_size, 10)

    def forward(self, x):
        h = self.linear1(x).relu()
        return self.linear3(h + self.linear2(h).relu())


class TorchCNN(nn.Module):  # the reference ConvBase
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 25, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
        self.linear = nn.Linear(125, 10)

    def forward(self, x):
        h = self.conv3(self.conv2(self.conv1(x.view(-1, 1, 40)).relu()).relu()).relu()
        return self.linear(h.flatten(1))


class TorchGRU(nn.Module):  # the reference GRUBase
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 6, batch_first=True, bidirectional=True)
        self.linear = nn.Linear(480, 10)

    def forward(self, x):
        output, _ = self.gru(x.unsqueeze(-1))
        return self.linear(output.flatten(1))


class TorchLogistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(40, 10)

    def forward(self, x):
        return self.linear(x)


class TorchDigitsCNN(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(128, 10))


TWINS = [(K.Logistic, TorchLogistic, (5, 40), 410), (K.MNIST1DMLP, TorchMLP, (5, 40), 78_858),
         (K.MNIST1DCNN, TorchCNN, (5, 40), 5_210), (K.MNIST1DGRU, TorchGRU, (5, 40), 5_134),
         (K.DigitsCNN, TorchDigitsCNN, (5, 1, 8, 8), 6_090),
         (lambda: K.mlp(784, 500, 10),
          lambda: nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10)), (5, 784), 397_510)]


@pytest.mark.parametrize(("ours", "theirs", "shape", "parameters"), TWINS)
def test_models_match_their_torch_twins(ours, theirs, shape, parameters):
    torch.manual_seed(0)
    theirs = theirs().double()
    ours = ours().double()
    assert count_parameters(ours) == count_parameters(theirs) == parameters
    ours.load_state_dict(theirs.state_dict())  # same names and shapes, so the state dict loads
    x = random_tensor(shape, torch.float64, 1)
    out_ours, out_theirs = ours(x), theirs(x)
    torch.testing.assert_close(out_ours, out_theirs, rtol=1e-10, atol=1e-10)
    g = random_tensor(out_ours.shape, torch.float64, 2)
    grads_ours = torch.autograd.grad(out_ours, list(ours.parameters()), g)
    grads_theirs = torch.autograd.grad(out_theirs, list(theirs.parameters()), g)
    for a, b in zip(grads_ours, grads_theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


def test_stratified_split_holds_out_the_same_number_of_each_class():
    labels = torch.arange(10).repeat_interleave(torch.arange(5, 15))  # class c has c + 5 examples
    train, test = K.stratified_split(labels, test_per_class=3, seed=1)
    assert torch.bincount(labels[test]).tolist() == [3] * 10
    assert sorted(torch.cat([train, test]).tolist()) == list(range(len(labels)))  # disjoint, complete
    again = K.stratified_split(labels, test_per_class=3, seed=1)
    assert torch.equal(again[0], train) and torch.equal(again[1], test)  # the seed fixes the split
    assert not torch.equal(K.stratified_split(labels, 3, seed=2)[1], test)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: K.stratified_split(torch.tensor([0.0, 1.0]), 1), TypeError, "1-D int64"),
        (lambda: K.stratified_split(torch.tensor([0, 0, 1]), 1), ValueError, "class 1 has 1 examples"),
        (lambda: K.stratified_split(torch.tensor([0, 0, 1, 1]), 0), ValueError, "test_per_class"),
        (lambda: K.confusion_matrix(torch.tensor([0, 1]), torch.tensor([0]), 2), ValueError, "same length"),
        (lambda: K.confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 3), ValueError, r"\[0, 3\)"),
        (lambda: K.confusion_matrix(torch.tensor([0.0]), torch.tensor([0]), 2), TypeError, "predictions"),
        (lambda: K.train_steps(K.Logistic(), _tiny(), steps=0), ValueError, "steps must be a positive int"),
        (lambda: K.train_steps(K.Logistic(), _tiny(), steps=1, batch_size=500), ValueError,
         r"batch_size must be an int in \[1, 40\]"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_confusion_matrix_equals_scikit_learns():
    gen = torch.Generator().manual_seed(0)
    targets = torch.randint(0, 7, (300,), generator=gen)
    predictions = torch.randint(0, 7, (300,), generator=gen)
    cm = K.confusion_matrix(predictions, targets, num_classes=7)
    assert cm.tolist() == sklearn_confusion_matrix(targets, predictions, labels=range(7)).tolist()
    assert cm.sum().item() == 300 and cm.trace().item() == (predictions == targets).sum().item()


def test_the_data_sets_and_their_splits():
    mnist = K.load_mnist()
    assert mnist.X_train.shape == (4000, 784) and mnist.X_test.shape == (1000, 784)
    assert torch.bincount(mnist.y_test).tolist() == [100] * 10
    assert 0.0 <= mnist.X_train.min() and mnist.X_train.max() <= 1.0
    digits = K.load_digits(images=True)
    assert digits.X_train.shape == (1497, 1, 8, 8) and digits.X_test.shape == (300, 1, 8, 8)
    assert torch.equal(K.load_digits().X_test, digits.X_test.flatten(1))  # the same split either way
    mnist1d = K.load_mnist1d()
    assert mnist1d.X_train.shape == (4000, 40) and mnist1d.X_test.shape == (1000, 40)
    assert torch.equal(K.load_mnist1d().X_train, mnist1d.X_train)  # generated, and reproducibly
    assert "Split(train (4000, 40), test (1000, 40), 10 classes)" == repr(mnist1d)


def _tiny() -> K.Split:
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(60, 40, generator=gen), torch.arange(60) % 10
    return K.Split(X[:40], y[:40], X[40:], y[40:])


@pytest.mark.parametrize("cosine", [False, True])
def test_train_steps_matches_the_same_loop_with_torch(cosine):
    data = _tiny()
    torch.manual_seed(0)
    ours = K.MNIST1DMLP(hidden_size=16)
    theirs = TorchMLP(hidden_size=16)
    theirs.load_state_dict(ours.state_dict())
    result = K.train_steps(ours, data, steps=12, batch_size=16, cosine=cosine, progress=False)
    opt = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)
    expected = []
    for step in range(12):
        start = (step * 16) % 40  # batches in order, wrapping around: 0, 16, 32 (8 examples), 8...
        X, y = data.X_train[start:start + 16], data.y_train[start:start + 16]
        loss = nn.functional.cross_entropy(theirs(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if cosine:
            schedule.step()
        expected.append(loss.item())
    torch.testing.assert_close(torch.tensor(result.step_loss), torch.tensor(expected), rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        test_accuracy = (theirs(data.X_test).argmax(1) == data.y_test).float().mean().item()
    assert result.test_accuracy == pytest.approx(test_accuracy)
    assert 0.0 <= result.train_accuracy <= 1.0 and len(result.step_loss) == 12


def test_train_seeds_gives_each_seed_the_numbers_of_a_run_on_its_own():
    gen = torch.Generator().manual_seed(1)
    X, y = torch.randn(250, 40, generator=gen), torch.arange(250) % 10
    data = K.Split(X[:200], y[:200], X[200:], y[200:])
    experiments = {"logistic": (K.Logistic, 5), "cnn": (K.MNIST1DCNN, 3)}
    results = K.train_seeds(experiments, data, seeds=(0, 1), workers=2)
    assert list(results) == ["logistic", "cnn"] and all(len(runs) == 2 for runs in results.values())
    threads = torch.get_num_threads()
    try:
        for name, (make, steps) in experiments.items():
            for seed, run in zip((0, 1), results[name], strict=True):
                alone = K._train_seed(make, data, steps, seed)  # in this process, on one thread
                assert run.step_loss == alone.step_loss and run.test_accuracy == alone.test_accuracy
    finally:
        torch.set_num_threads(threads)
    assert results["logistic"][0].step_loss != results["logistic"][1].step_loss  # the seed matters
    with pytest.raises(ValueError, match="workers must be a positive int"):
        K.train_seeds({}, data, workers=0)


def test_the_gru_model_takes_its_layer_class_and_the_fused_one_computes_the_same():
    from nnbasics.fast import recurrent as fast_recurrent
    from nnbasics.recurrent import GRU

    models = []
    for rnn in (GRU, fast_recurrent.GRU):
        torch.manual_seed(0)
        models.append(K.MNIST1DGRU(rnn=rnn).double())
    assert type(models[0].gru) is GRU and type(models[1].gru) is fast_recurrent.GRU
    x = torch.randn(3, 40, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    outs = [m(x) for m in models]
    torch.testing.assert_close(outs[1], outs[0], rtol=1e-12, atol=1e-12)
    grads = [torch.autograd.grad(o.pow(2).sum(), list(m.parameters()))
             for o, m in zip(outs, models, strict=True)]
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
