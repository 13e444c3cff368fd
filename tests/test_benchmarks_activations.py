"""The activations benchmark runs and reports a ratio per activation (no speed is asserted)."""

from __future__ import annotations

from nnbasics.benchmarks import activations


def test_quick_benchmark_runs():
    timings = activations.run(quick=True, repeat=1)
    assert [t.name.split()[0] for t in timings] == ["relu", "sigmoid", "tanh"]
    assert all("4 × 8" in t.name and t.ours > 0 and t.torch > 0 for t in timings)
