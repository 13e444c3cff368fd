"""Tests of nnbasics.benchmarks: the timing helpers measure and report, without asserting speed."""

from __future__ import annotations

import pytest

from nnbasics.benchmarks import Timing, compare, time_call


def test_time_call_runs_warmup_plus_repeat_times():
    calls = []
    seconds = time_call(lambda: calls.append(1), repeat=3, warmup=2)
    assert len(calls) == 5 and seconds >= 0


def test_time_call_rejects_bad_counts():
    with pytest.raises(ValueError, match="repeat must be >= 1"):
        time_call(lambda: None, repeat=0)


def test_timing_ratio_and_line():
    t = Timing("conv2d", ours=0.003, torch=0.002)
    assert t.ratio == pytest.approx(1.5)
    assert str(t).startswith("conv2d") and "ratio  1.50×" in str(t)


def test_compare_times_both_sides_alternately():
    calls = []
    t = compare("x", lambda: calls.append("ours"), lambda: calls.append("theirs"), repeat=2, warmup=1)
    assert calls == ["ours", "theirs"] * 3 and t.name == "x"  # 1 warm-up round, then 2 timed rounds
    assert t.ours >= 0 and t.torch >= 0
    with pytest.raises(ValueError, match="repeat must be >= 1"):
        compare("x", lambda: None, lambda: None, repeat=0)
