"""The appendix's benchmark runs and reports one ratio per technique (no speed is asserted)."""

from __future__ import annotations

from nnbasics.benchmarks import fast


def test_quick_benchmark_runs_every_technique_against_torch():
    timings = fast.run_all(quick=True, repeat=1)
    names = [t.name for t in timings]
    assert [n.rsplit(", ", 1)[-1] for n in names[:4]] == list(fast.CONVOLUTIONS)
    assert names[4].startswith("LSTM") and names[5].endswith("clear") and len(names) == 6
    assert all(t.ours > 0 and t.torch > 0 and t.ratio > 0 for t in timings)
