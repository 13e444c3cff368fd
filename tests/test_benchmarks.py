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


def test_compare_times_both_sides():
    ours, theirs = [], []
    t = compare("x", lambda: ours.append(1), lambda: theirs.append(1), repeat=2)
    assert len(ours) == len(theirs) == 3 and t.name == "x"
