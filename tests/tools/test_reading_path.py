"""tools/reading_path.py follows every name a definition uses inside the package, and nothing else."""

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "tools/reading_path.py"
spec = importlib.util.spec_from_file_location("reading_path", SCRIPT)
reading_path = sys.modules["reading_path"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reading_path)

MODULES = {
    "numerics": 'def sigmoid(x):\n    """Stable."""\n    return x\n\n\ndef unused(x):\n    return x\n',
    "_checks": "def check_tensor(x):\n    return x\n",
    "act": ("import torch\n\nfrom nnbasics import numerics\nfrom nnbasics._checks import check_tensor\n\n"
            "SCALE = 2\n\n\nclass Base:\n    pass\n\n\n"
            "class Fn(Base):\n    # a comment\n    def forward(self, x):\n"
            "        return numerics.sigmoid(x) * SCALE\n\n\n"
            "def fn(x):\n    return Fn.apply(check_tensor(x)) + torch.relu(x)\n"),
}


def test_the_path_follows_imports_attributes_bases_and_constants_but_not_torch():
    index = reading_path.Index(MODULES)
    keys = [d.key for d in index.path("act.fn")]
    assert keys[0] == "act.fn"
    assert set(keys) == {"act.fn", "act.Fn", "_checks.check_tensor", "act.Base", "act.SCALE",
                         "numerics.sigmoid"}


def test_lines_count_docstrings_and_comments_code_does_not():
    index = reading_path.Index(MODULES)
    assert reading_path.count([index.definitions["numerics.sigmoid"]]) == (3, 2)
    assert reading_path.count([index.definitions["act.Fn"]]) == (4, 3)


def test_fast_and_benchmarks_are_not_read(tmp_path, monkeypatch):
    package = tmp_path / "src/nnbasics"
    (package / "fast").mkdir(parents=True)
    (package / "conv.py").write_text("def conv2d(x):\n    return x\n")
    (package / "fast/conv.py").write_text("def conv2d(x):\n    return x\n")
    monkeypatch.setattr(reading_path, "ROOT", tmp_path)
    assert set(reading_path.sources(None)) == {"conv"}
