"""The screen of solution cells (nnbasics_course.screen): what reaches for the grader is refused,
what an exercise's answer needs is not (every instructor's solution passes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnbasics_course.screen import screen
from nnbasics_course.toc import exercise_chapters, exercises_notebook

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("source", "finding"), [
    ("import sys\nsys.modules['nnbasics_course.checks'].compare = None", "line 1: import sys"),
    ("import gc\nobjs = gc.get_objects()", "line 1: import gc"),
    ("from nnbasics_course import checks", "from nnbasics_course import ..."),
    ("import importlib.util", "import importlib.util"),
    ("import ctypes", "import ctypes"),
    ("import inspect\nf = inspect.currentframe()", "import inspect"),
    ("import builtins\nbuiltins.print = None", "import builtins"),
    ("import __main__", "import __main__"),
    ("x = locals()", "the name locals"),
    ("breakpoint()", "the name breakpoint"),
    ("import torch\ndelattr(torch, name)", "delattr with a computed or special attribute"),
    ("from IPython import get_ipython", "from IPython import ..."),
    ("__nnbasics_checks__ = object()", "the name __nnbasics_checks__"),
    ("x = __builtins__", "the name __builtins__"),
    ("m = __import__('s' + 'ys')", "the name __import__"),
    ("def f():\n    return f.__globals__", "line 2: the attribute .__globals__"),
    ("subs = object.__subclasses__()", "the attribute .__subclasses__"),
    ("import torch\nd = torch.__dict__", "the attribute .__dict__"),
    ("exec('1')", "the name exec"),
    ("g = globals()", "the name globals"),
    ("ip = get_ipython()", "the name get_ipython"),
    ("import torch\nsetattr(torch, 'test' + 'ing', None)", "setattr with a computed or special attribute"),
    ("getattr(object, '__subclasses__')", "getattr with a computed or special attribute name"),
    ("def f(tb):\n    return tb.tb_frame.f_back", "the attribute .tb_frame"),
])
def test_reaching_for_the_grader_is_found(source, finding):
    found = screen(source)
    assert any(finding in f for f in found), found


@pytest.mark.parametrize("source", [
    "import torch\nimport torch.nn.functional as F\ndef f(x):\n    return torch.relu(x) * 2",
    "class Yes(float):\n    def __eq__(self, other):\n        return True\n    __ne__ = __eq__",
    "class Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()",
    "import math, os, numpy as np\nx = getattr(np, 'float64')",
    "import torch\ntorch.testing.assert_close = lambda *a, **k: None",  # undone by checks.restore
    "def f(:\n",  # a syntax error fails in the kernel with its own message
])
def test_what_an_answer_needs_passes(source):
    assert screen(source) == []


@pytest.mark.parametrize("chapter", exercise_chapters(ROOT))
def test_every_instructors_solution_passes_the_screen(chapter):
    nb = json.loads(exercises_notebook(ROOT, chapter).read_text())
    solutions = ["".join(c["source"]) for c in nb["cells"]
                 if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert solutions
    assert [(i, screen(src)) for i, src in enumerate(solutions) if screen(src)] == []
