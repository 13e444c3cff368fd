"""The recurrent benchmarks run and report ratios, fast and clear (no speed is asserted)."""

from __future__ import annotations

from nnbasics.benchmarks import recurrent


def test_quick_benchmark_runs():
    fast, clear = recurrent.run(quick=True, repeat=1)
    assert fast.name.startswith("LSTM") and fast.name.endswith("fast") and fast.ratio > 0
    assert clear.name.endswith("clear") and clear.ratio > 0


def test_quick_gru_training_benchmark_runs():
    fast, clear = recurrent.run_gru_training(quick=True, repeat=1)
    assert fast.name.startswith("BiGRU") and fast.name.endswith("fast") and clear.name.endswith("clear")
    assert [t.name[:4] for t in recurrent.run_all(quick=True, repeat=1)] == ["LSTM", "LSTM", "BiGR", "BiGR"]
