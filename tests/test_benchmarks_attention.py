"""The attention benchmark runs and reports one ratio per case (no speed is asserted)."""

from __future__ import annotations

from nnbasics.benchmarks import attention


def test_quick_benchmark_runs():
    timings = attention.run(quick=True, repeat=1)
    assert [t.name.split()[0] for t in timings] == ["sdpa", "MHA"]
    assert all(t.ours > 0 and t.torch > 0 and t.ratio > 0 for t in timings)
