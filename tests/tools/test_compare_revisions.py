"""tools/compare_revisions.py loads another commit's library beside today's, under its own name."""

import importlib.util
import sys
from pathlib import Path

import torch

from nnbasics import conv

SCRIPT = Path(__file__).parents[2] / "tools/compare_revisions.py"
spec = importlib.util.spec_from_file_location("compare_revisions", SCRIPT)
compare_revisions = sys.modules["compare_revisions"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_revisions)


def test_the_old_library_loads_as_old_nnbasics_and_computes_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    old_conv, old_recurrent = compare_revisions.load_old("HEAD", tmp_path)
    for name in [m for m in sys.modules if m.startswith("old_nnbasics")]:
        del sys.modules[name]  # the references above are enough; no later import finds them
    assert old_conv.__name__ == "old_nnbasics.conv" and old_conv is not conv
    assert "from nnbasics" not in (tmp_path / "old_nnbasics/conv.py").read_text()
    x, w = torch.randn(2, 3, 6, 6, dtype=torch.float64), torch.randn(4, 3, 3, 3, dtype=torch.float64)
    torch.testing.assert_close(old_conv.conv2d(x, w, padding=1), conv.conv2d(x, w, padding=1), rtol=0, atol=0)
    assert old_recurrent.LSTM is not None


def test_only_whole_word_imports_are_renamed():
    rename = compare_revisions.IMPORTS.sub
    assert rename(r"\1 old_nnbasics", "from nnbasics.conv import x") == "from old_nnbasics.conv import x"
    assert rename(r"\1 old_nnbasics", "import nnbasics") == "import old_nnbasics"
    assert rename(r"\1 old_nnbasics", "from nnbasics_course import y") == "from nnbasics_course import y"
