"""Benchmarks of nnbasics ops against their torch twins, reported as time ratios.

Each module here (``python -m nnbasics.benchmarks.<name>``) times forward+backward of an
nnbasics op and of its torch twin in the same run, on the same inputs and thread count, and
prints ``ours / torch``. Ratios, not seconds, are what the book and its performance page quote: they carry
over between machines far better. Nothing here is a test; the unit tests only check that the
benchmarks run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["Timing", "compare", "main", "time_call"]


def time_call(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """The median wall time of ``fn()`` in seconds over ``repeat`` runs, after ``warmup`` runs."""
    if repeat < 1 or warmup < 0:
        raise ValueError(f"repeat must be >= 1 and warmup >= 0, got {repeat} and {warmup}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class Timing:
    """One benchmark line: what was timed, both medians in seconds, and their ratio."""

    name: str
    ours: float
    torch: float

    @property
    def ratio(self) -> float:
        return self.ours / self.torch

    def __str__(self) -> str:
        return (f"{self.name:<45} nnbasics {self.ours * 1e3:8.2f} ms   torch {self.torch * 1e3:8.2f} ms"
                f"   ratio {self.ratio:5.2f}×")


def compare(name: str, ours: Callable[[], object], theirs: Callable[[], object], repeat: int = 5,
            threads: int = 2, warmup: int = 2) -> Timing:
    """Time ``ours`` and ``theirs`` alternately in the same process with ``threads`` threads:
    ``warmup`` runs of each, then ``repeat`` rounds of one run of each, and the median of each.

    Alternating matters: the speed of a call depends on what ran just before it (caches, and
    the memory allocator's state after large buffers are freed), so timing all of one side and
    then all of the other would favour whichever side the machine happened to be warm for."""
    if repeat < 1 or warmup < 0:
        raise ValueError(f"repeat must be >= 1 and warmup >= 0, got {repeat} and {warmup}")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for _ in range(warmup):
            ours()
            theirs()
        times: dict[str, list[float]] = {"ours": [], "theirs": []}
        for _ in range(repeat):
            for key, fn in (("ours", ours), ("theirs", theirs)):
                start = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return Timing(name, statistics.median(times["ours"]), statistics.median(times["theirs"]))


def main(run: Callable[..., list[Timing]], description: str | None = None) -> None:
    """Command line of a benchmark module: ``--quick`` (tiny sizes), ``--repeat N`` and ``--threads N``
    (both sides get the same number of threads; 2 is the course's machine)."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that it runs")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    threads = "1 thread" if args.threads == 1 else f"{args.threads} threads"
    print(f"forward + backward, median of {args.repeat} runs, {threads}, ratio = nnbasics / torch")
    for timing in run(args.quick, args.repeat, args.threads):
        print(timing)
