"""The LSTM benchmark runs and reports a ratio (no speed is asserted)."""

from __future__ import annotations

from nnbasics.benchmarks import recurrent


def test_quick_benchmark_runs():
    fused, clear = recurrent.run(quick=True, repeat=1)
    assert fused.name.startswith("LSTM") and fused.ratio > 0
    assert clear.name.endswith("clear") and clear.ratio > 0


def test_quick_gru_training_benchmark_runs():
    (timing,) = recurrent.run_gru_training(quick=True, repeat=1)
    assert timing.name.startswith("BiGRU") and timing.ratio > 0
    assert [t.name[:4] for t in recurrent.run_all(quick=True, repeat=1)] == ["LSTM", "LSTM", "BiGR"]
