"""nnbasics.fast.seeds: every member trained together equals the model a lone
capstone.train_steps run trains, number for number (losses of every step, accuracies)."""

from functools import partial

import pytest
import torch

from nnbasics import capstone as K
from nnbasics.fast import recurrent as fast_recurrent
from nnbasics.fast.seeds import stacked_logits, train_seeds, train_together

FUSED_GRU = partial(K.MNIST1DGRU, rnn=fast_recurrent.GRU, hidden_size=3, time_steps=12)
SMALL_MLP = partial(K.MNIST1DMLP, input_size=12, hidden_size=16)
SMALL_CNN = partial(K.MNIST1DCNN, channels=4)  # three stride-2 convolutions: 40 -> 5 positions
STACKABLE = {"MLP": SMALL_MLP, "GRU": FUSED_GRU, "CNN": SMALL_CNN}


def small_data(seed=0, n=60, length=12):
    g = torch.Generator().manual_seed(seed)
    return K.Split(torch.randn(n, length, generator=g), torch.randint(0, 10, (n,), generator=g),
                   torch.randn(30, length, generator=g), torch.randint(0, 10, (30,), generator=g))


def built(make, seeds):
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(make())
    return models


@pytest.mark.parametrize("name", STACKABLE)
def test_stacked_logits_are_each_members_own_forward(name):
    models = built(STACKABLE[name], (0, 1, 2))
    x = small_data(length=40 if name == "CNN" else 12).X_train[:7]
    stacked = stacked_logits(models, x)
    assert stacked.shape == (3, 7, 10)
    for m, model in enumerate(models):
        assert torch.equal(stacked[m], model(x))


@pytest.mark.parametrize("name", STACKABLE)
def test_each_member_trains_exactly_as_a_lone_run(name):
    data, seeds = small_data(length=40 if name == "CNN" else 12), (0, 1, 2)
    together = train_together(STACKABLE[name], data, 25, seeds, batch_size=20)
    for seed, result in zip(seeds, together, strict=True):
        torch.manual_seed(seed)
        alone = K.train_steps(STACKABLE[name](), data, 25, batch_size=20, progress=False)
        assert result.step_loss == alone.step_loss
        assert (result.test_accuracy, result.train_accuracy) == (alone.test_accuracy, alone.train_accuracy)
    assert together[0].step_loss != together[1].step_loss  # the members did start apart


def test_train_seeds_gives_capstones_results_and_leaves_the_random_stream():
    data = small_data(n=250, length=40)  # the protocol's batches of 100, in order, wrapping around
    experiments = {"MLP": (partial(SMALL_MLP, input_size=40), 15), "CNN": (SMALL_CNN, 10),
                   "logistic": (K.Logistic, 10), "GRU": (partial(FUSED_GRU, time_steps=40), 10)}
    state = torch.get_rng_state()
    fast = train_seeds(experiments, data, seeds=(0, 1), workers=2)
    assert torch.equal(torch.get_rng_state(), state)
    clear = K.train_seeds(experiments, data, seeds=(0, 1), workers=2)
    assert fast == clear  # dataclasses: every step's loss and both accuracies


@pytest.mark.parametrize(("models", "error", "message"), [
    ([], TypeError, "models must be a non-empty"),
    ([K.DigitsCNN()], TypeError, "DigitsCNN"),
    ([K.MNIST1DGRU()], TypeError, "rnn=nnbasics.fast.recurrent.GRU"),  # the taught GRU's loop
    ([K.MNIST1DMLP(), FUSED_GRU()], TypeError, "all of one kind"),
])
def test_stacked_logits_refuses_what_it_cannot_stack(models, error, message):
    with pytest.raises(error, match=message):
        stacked_logits(models, torch.zeros(2, 40))


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"steps": 0}, ValueError, "steps"),
    ({"seeds": ()}, TypeError, "seeds"),
    ({"seeds": (0, -1)}, ValueError, "seeds"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 61}, ValueError, r"batch_size must be an int in \[1, 60\]"),
])
def test_train_together_refuses_bad_arguments(kwargs, error, message):
    args = {"make": SMALL_MLP, "data": small_data(), "steps": 2, "seeds": (0, 1), "batch_size": 20} | kwargs
    with pytest.raises(error, match=message):
        train_together(**args)


def test_train_together_gives_torch_its_thread_count_back():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train_together(SMALL_MLP, small_data(), 2, (0,), batch_size=20)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
