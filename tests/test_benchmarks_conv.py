"""The conv benchmark runs and reports one ratio per case and op (no speed is asserted)."""

from __future__ import annotations

from nnbasics.benchmarks import conv


def test_quick_benchmark_runs():
    timings = conv.run(quick=True, repeat=1)
    assert [t.name.split()[0] for t in timings] == ["conv2d", "max_pool2d"]
    assert all(t.ours > 0 and t.torch > 0 and t.ratio > 0 for t in timings)
