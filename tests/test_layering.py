"""The taught modules never depend on the appendix's fast paths: ``nnbasics.fast`` imports them, never
the reverse, so the code a chapter shows is the code its models run."""

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import nnbasics

SRC = Path(nnbasics.__file__).parent
TAUGHT = sorted(f"nnbasics.{m.name}" for m in pkgutil.iter_modules([str(SRC)])
                if m.name not in {"fast", "benchmarks"})
# "nnbasics.fast" in any form, or a relative import of it
NAMES_FAST = re.compile(r"nnbasics\.fast\b|from nnbasics import [\w, ]*\bfast\b"
                        r"|from \.+ import fast\b|from \.+fast\b")

CHECK = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m.startswith(("nnbasics.fast", "nnbasics.benchmarks")))
    if loaded:
        print(name, "loaded", loaded)
        break
"""


def test_the_taught_modules_are_found():
    assert {"nnbasics.conv", "nnbasics.recurrent", "nnbasics.losses", "nnbasics.optim"} <= set(TAUGHT)


def test_importing_the_taught_modules_leaves_fast_unloaded():
    """One fresh interpreter imports every taught module in turn and checks sys.modules after each."""
    run = subprocess.run([sys.executable, "-c", CHECK, "nnbasics", *TAUGHT], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""


def test_the_import_check_can_fail():
    run = subprocess.run([sys.executable, "-c", CHECK, "nnbasics.fast.winograd"],
                         capture_output=True, text=True)
    assert "nnbasics.fast.winograd loaded" in run.stdout


def test_no_module_outside_fast_and_benchmarks_names_fast():
    """Not in an import, a lazy import inside a function, or a docstring's cross-reference."""
    offenders = [f"{path.relative_to(SRC)}:{number}: {line.strip()}"
                 for path in sorted(SRC.rglob("*.py"))
                 if path.relative_to(SRC).parts[0] not in {"fast", "benchmarks"}
                 for number, line in enumerate(path.read_text().splitlines(), 1) if NAMES_FAST.search(line)]
    assert offenders == []


def test_the_pattern_catches_the_usual_spellings():
    for line in ["from nnbasics.fast.conv import X", "import nnbasics.fast", "from nnbasics import fast",
                 "from nnbasics import conv, fast", "from .fast import conv", "from . import fast",
                 ":mod:`nnbasics.fast.conv`"]:
        assert NAMES_FAST.search(line), line
    for line in ["from nnbasics.conv import conv2d", "fast = True", "the appendix, Making it fast"]:
        assert not NAMES_FAST.search(line), line
