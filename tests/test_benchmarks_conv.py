"""The conv benchmark runs and reports one ratio per case and op (no speed is asserted)."""

from __future__ import annotations

from nnbasics.benchmarks import conv


def test_quick_benchmark_runs():
    timings = conv.run(quick=True, repeat=1)
    assert [t.name.split()[0] for t in timings] == ["conv2d", "max_pool2d"]
    assert all(t.ours > 0 and t.torch > 0 and t.ratio > 0 for t in timings)


def test_quick_throughput_runs_and_counts_the_layers_flops():
    lines = conv.throughput(quick=True, repeat=1)
    assert [line.name.split(",")[0] for line in lines] == [
        "torch.matmul", "torch.matmul", "torch conv2d forward", "nnbasics conv2d forward"]
    # The quick layer is 2 x 3 x 8 x 8 -> 4 kernels 3x3, padding 1: 2 * 64 positions * 27 * 4 multiply-adds.
    assert "128 x 27 @ 27 x 4" in lines[1].name
    assert all(line.flops > 0 for line in lines)
    assert str(lines[0]).startswith("torch.matmul, 256 x 256") and str(lines[0]).endswith("GFLOP/s")
    kinds = [type(t).__name__ for t in conv.run_all(quick=True, repeat=1)]
    assert kinds == ["Timing"] * 2 + ["Throughput"] * 4
