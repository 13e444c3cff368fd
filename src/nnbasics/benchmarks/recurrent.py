"""Benchmark: forward + backward of nnbasics.recurrent.LSTM against torch.nn.LSTM.

Run ``python -m nnbasics.benchmarks.recurrent`` (``--quick`` for tiny sizes): sequence 50,
batch 64, hidden 128, input 64, on 2 threads, with the same weights: the layer as the chapters
train it (the fused kernels of :mod:`nnbasics.fast.recurrent`) and the clear
``RecurrentFunction`` the chapter shows (``layer.fast = False``), each against torch in the same
run. The command line also times the chapter's other
workload, a small bidirectional GRU trained with Adam, whose time goes into per-operation
overhead rather than arithmetic (:func:`run_gru_training`).
"""

from __future__ import annotations

import torch
from torch import nn

from nnbasics.benchmarks import Timing, compare, main
from nnbasics.recurrent import GRU, LSTM

FULL = {"steps": 50, "batch": 64, "input_size": 64, "hidden": 128}
QUICK = {"steps": 5, "batch": 4, "input_size": 3, "hidden": 8}
GRU_FULL = {"steps": 40, "batch": 100, "input_size": 1, "hidden": 6, "updates": 10}
GRU_QUICK = {"steps": 5, "batch": 4, "input_size": 1, "hidden": 3, "updates": 2}


def run(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Time LSTM forward + backward for nnbasics and torch; return the timings."""
    size = QUICK if quick else FULL
    torch.manual_seed(0)
    theirs = nn.LSTM(size["input_size"], size["hidden"])
    ours = LSTM(size["input_size"], size["hidden"])
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(size["steps"], size["batch"], size["input_size"])

    def step(module):
        def go():
            module.zero_grad()
            out, (h, _) = module(x)
            (out.sum() + h.sum()).backward()

        return go

    name = f"LSTM seq {size['steps']}, batch {size['batch']}, hidden {size['hidden']}"
    fused = compare(name, step(ours), step(theirs), repeat=repeat, threads=threads)
    clear_layer = LSTM(size["input_size"], size["hidden"])
    clear_layer.load_state_dict(theirs.state_dict())
    clear_layer.fast = False  # the clear RecurrentFunction the chapter shows
    clear = compare(f"{name}, clear", step(clear_layer), step(theirs), repeat=repeat, threads=threads)
    return [fused, clear]


def run_gru_training(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Time Adam updates of a bidirectional GRU (``batch_first``) + linear classifier, nnbasics
    against torch; the classifier, loss and optimizer are torch's on both sides."""
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
    return [compare(name, training(GRU), training(nn.GRU), repeat=repeat, threads=threads)]


def run_all(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Both workloads, as the command line prints them."""
    return run(quick, repeat, threads) + run_gru_training(quick, repeat, threads)


if __name__ == "__main__":
    main(run_all, __doc__)
