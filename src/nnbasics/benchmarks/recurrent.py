"""Benchmark: forward + backward of the recurrent layers, taught and fast, against torch's.

Run ``python -m nnbasics.benchmarks.recurrent`` (``--quick`` for tiny sizes): sequence 50,
batch 64, hidden 128, input 64, on 2 threads, with the same weights: the fused
:class:`nnbasics.fast.recurrent.LSTM` of the appendix "Making it fast" and the taught
:class:`nnbasics.recurrent.LSTM` of the chapter (a loop over ``LSTMStep``), each against
``torch.nn.LSTM`` in the same run, so their ratios compare the fast layer with the taught one.
The command line also times the chapter's other workload, a small bidirectional GRU trained with
Adam, whose time goes into per-operation overhead rather than arithmetic
(:func:`run_gru_training`), fast and taught.
"""

from __future__ import annotations

import torch
from torch import nn

from nnbasics import recurrent
from nnbasics.benchmarks import Timing, compare, main
from nnbasics.fast import recurrent as fast_recurrent

FULL = {"steps": 50, "batch": 64, "input_size": 64, "hidden": 128}
QUICK = {"steps": 5, "batch": 4, "input_size": 3, "hidden": 8}
GRU_FULL = {"steps": 40, "batch": 100, "input_size": 1, "hidden": 6, "updates": 10}
GRU_QUICK = {"steps": 5, "batch": 4, "input_size": 1, "hidden": 3, "updates": 2}
LAYERS = {"fast": fast_recurrent, "clear": recurrent}  # clear: the taught layer the chapter shows


def run(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Time LSTM forward + backward, the fast and the clear (taught) layer each against torch."""
    size = QUICK if quick else FULL
    torch.manual_seed(0)
    theirs = nn.LSTM(size["input_size"], size["hidden"])
    x = torch.randn(size["steps"], size["batch"], size["input_size"])

    def step(module):
        def go():
            module.zero_grad()
            out, (h, _) = module(x)
            (out.sum() + h.sum()).backward()

        return go

    name = f"LSTM seq {size['steps']}, batch {size['batch']}, hidden {size['hidden']}"
    timings = []
    for kind, module in LAYERS.items():
        ours = module.LSTM(size["input_size"], size["hidden"])
        ours.load_state_dict(theirs.state_dict())
        timings.append(compare(f"{name}, {kind}", step(ours), step(theirs), repeat=repeat, threads=threads))
    return timings


def run_gru_training(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Time Adam updates of a bidirectional GRU (``batch_first``) + linear classifier, the fast
    and the clear (taught) nnbasics GRU each against torch's; the classifier, loss and optimizer
    are torch's on both sides."""
    size = GRU_QUICK if quick else GRU_FULL
    torch.manual_seed(0)
    x = torch.randn(size["batch"], size["steps"], size["input_size"])
    y = torch.randint(0, 10, (size["batch"],))

    def training(gru_class):
        torch.manual_seed(0)
        gru = gru_class(size["input_size"], size["hidden"], batch_first=True, bidirectional=True)
        head = nn.Linear(2 * size["hidden"], 10)
        optimizer = torch.optim.Adam([*gru.parameters(), *head.parameters()], lr=0.01)

        def go():
            for _ in range(size["updates"]):
                optimizer.zero_grad()
                out, _ = gru(x)
                nn.functional.cross_entropy(head(out[:, -1]), y).backward()
                optimizer.step()

        return go

    name = (
        f"BiGRU seq {size['steps']}, batch {size['batch']}, hidden {size['hidden']}, {size['updates']} steps"
    )
    return [compare(f"{name}, {kind}", training(module.GRU), training(nn.GRU), repeat=repeat, threads=threads)
            for kind, module in LAYERS.items()]


def run_all(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Both workloads, as the command line prints them."""
    return run(quick, repeat, threads) + run_gru_training(quick, repeat, threads)


if __name__ == "__main__":
    main(run_all, __doc__)
