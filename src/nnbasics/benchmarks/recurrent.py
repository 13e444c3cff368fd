"""Benchmark: forward + backward of nnbasics.recurrent.LSTM against torch.nn.LSTM.

Run ``python -m nnbasics.benchmarks.recurrent`` (``--quick`` for tiny sizes): sequence 50,
batch 64, hidden 128, input 64, on 2 threads, with the same weights; the ratio is what the
chapter "Recurrent networks and LSTM" quotes.
"""

from __future__ import annotations

import torch
from torch import nn

from nnbasics.benchmarks import Timing, compare, main
from nnbasics.recurrent import LSTM

FULL = {"steps": 50, "batch": 64, "input_size": 64, "hidden": 128}
QUICK = {"steps": 5, "batch": 4, "input_size": 3, "hidden": 8}


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
    return [compare(name, step(ours), step(theirs), repeat=repeat, threads=threads)]


if __name__ == "__main__":
    main(run, __doc__)
