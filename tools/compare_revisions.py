"""Time the clear (taught) conv and recurrent layers of another commit against today's, in one run.

Issue 33 rebuilt the clear LSTM and conv2d that the chapters show; this checks that the rebuilt
ones stay within 1.3x of the old ones on the benchmark shapes. The old library is read with
``git archive`` into a temporary folder under the name ``old_nnbasics`` (every ``nnbasics`` import
in it renamed), so both versions load in one process and ``nnbasics.benchmarks.compare`` times
them alternately, old against new, on the same inputs and threads. An old layer that could take
the appendix's fast path gets ``fast = False``: the comparison is clear path against clear path.
The last line compares the appendix's fused LSTM, old (the layer's default path then) against
new (``nnbasics.fast.recurrent.LSTM``).

    python tools/compare_revisions.py --rev 83e5421 [--repeat 9] [--threads 2]

Each line prints new / old: below 1 the new code is faster.
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import torch
from torch import nn

from nnbasics import conv, recurrent
from nnbasics.benchmarks import compare
from nnbasics.benchmarks.conv import CASES
from nnbasics.benchmarks.recurrent import FULL
from nnbasics.fast import recurrent as fast_recurrent

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = re.compile(r"\b(from|import) nnbasics\b")


def load_old(rev: str, folder: Path):
    """The package ``src/nnbasics`` at ``rev``, imported as ``old_nnbasics``."""
    archive = subprocess.run(["git", "archive", rev, "src/nnbasics"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "old_nnbasics"
    (folder / "src/nnbasics").rename(package)
    for path in package.rglob("*.py"):
        path.write_text(IMPORTS.sub(r"\1 old_nnbasics", path.read_text()))
    sys.path.insert(0, str(folder))
    return importlib.import_module("old_nnbasics.conv"), importlib.import_module("old_nnbasics.recurrent")


def clear(layer: nn.Module) -> nn.Module:
    layer.fast = False  # old layers only: take the clear path, not the appendix's
    return layer


def forward_backward(layer: nn.Module, x: torch.Tensor):
    def run():
        layer.zero_grad()
        out = layer(x.detach().requires_grad_(True))  # the input's gradient too, as in the benchmarks
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", required=True, help="the commit to compare with, e.g. 83e5421")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_conv, old_recurrent = load_old(args.rev, Path(tmp))
        torch.manual_seed(0)
        pairs = []
        for name, x_shape, w_shape, padding in CASES:
            new = conv.Conv2d(x_shape[1], w_shape[0], w_shape[2], padding=padding)
            old = clear(old_conv.Conv2d(x_shape[1], w_shape[0], w_shape[2], padding=padding))
            old.load_state_dict(new.state_dict())
            pairs.append((f"Conv2d {name}", new, old, torch.randn(x_shape)))
        x = torch.randn(FULL["steps"], FULL["batch"], FULL["input_size"])
        for kind in ("LSTM", "GRU"):
            new = getattr(recurrent, kind)(FULL["input_size"], FULL["hidden"])
            old = clear(getattr(old_recurrent, kind)(FULL["input_size"], FULL["hidden"]))
            old.load_state_dict(new.state_dict())
            pairs.append((f"{kind} seq {FULL['steps']}, batch {FULL['batch']}, hidden {FULL['hidden']}",
                          new, old, x))
        new = fast_recurrent.LSTM(FULL["input_size"], FULL["hidden"])
        old = old_recurrent.LSTM(FULL["input_size"], FULL["hidden"])  # the fused path, as it was
        old.load_state_dict(new.state_dict())
        pairs.append(("LSTM, the appendix's fused layer", new, old, x))
        print(f"forward + backward, median of {args.repeat} alternating runs, {args.threads} threads, "
              f"new = working tree, old = {args.rev}")
        for name, new, old, x in pairs:
            t = compare(name, forward_backward(new, x), forward_backward(old, x), args.repeat, args.threads)
            print(f"{name:<55} new {t.ours * 1e3:8.2f} ms   old {t.torch * 1e3:8.2f} ms"
                  f"   new / old {t.ratio:5.2f}")


if __name__ == "__main__":
    main()
