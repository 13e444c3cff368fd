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


def test_main_passes_quick_repeat_and_threads_to_the_run_and_prints_each_line(monkeypatch, capsys):
    from nnbasics.benchmarks import main

    seen = []

    def run(quick, repeat, threads):
        seen.append((quick, repeat, threads))
        return [Timing("op", ours=0.003, torch=0.002)]

    monkeypatch.setattr("sys.argv", ["bench", "--quick", "--repeat", "3", "--threads", "1"])
    main(run)
    monkeypatch.setattr("sys.argv", ["bench"])
    main(run)
    assert seen == [(True, 3, 1), (False, 5, 2)]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "forward + backward, median of 3 runs, 1 thread, ratio = nnbasics / torch"
    assert lines[2] == "forward + backward, median of 5 runs, 2 threads, ratio = nnbasics / torch"
    assert lines[1].startswith("op") and "ratio  1.50×" in lines[1]


def test_main_refuses_fewer_than_one_thread(monkeypatch, capsys):
    from nnbasics.benchmarks import main

    monkeypatch.setattr("sys.argv", ["bench", "--threads", "0"])
    with pytest.raises(SystemExit):
        main(lambda quick, repeat, threads: [])
    assert "--threads must be at least 1, got 0" in capsys.readouterr().err
