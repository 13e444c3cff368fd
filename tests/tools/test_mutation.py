"""Tests of nnbasics_course.mutation: the mutants it makes, and that it never writes src/."""

from __future__ import annotations

import ast
from pathlib import Path

from nnbasics_course import mutation

SOURCE = '''
def f(x, n=2):
    """Docstring: never mutated."""
    total = 0
    for i in range(n):
        if x > 0 and not i:
            total += x * 2
    return total
'''


def test_every_operator_makes_its_mutants():
    changes = {m.change for m in mutation.mutants(SOURCE)}
    for expected in ["x * 2  ->  x / 2", "x > 0  ->  x >= 0", "x > 0  ->  x <= 0",
                     "x > 0 and not i  ->  x > 0 or not i", "not i  ->  i", "2  ->  3", "0  ->  1",
                     "return total  ->  return None", "if x > 0 and not i:  ->  if True:",
                     "if x > 0 and not i:  ->  if False:", "total += x * 2  ->  total -= x * 2",
                     "total += x * 2  ->  total = x * 2", "total += x * 2  ->  pass", "total = 0  ->  pass"]:
        assert expected in changes, expected
    assert not any("Docstring" in c for c in changes)


def test_each_mutant_is_valid_python_and_changes_one_thing():
    original = ast.dump(ast.parse(SOURCE))
    seen = set()
    for m in mutation.mutants(SOURCE):
        mutated = mutation.apply(SOURCE, m)
        compile(mutated, "<mutant>", "exec")
        assert ast.dump(ast.parse(mutated)) != original
        seen.add(mutated)
    assert len(seen) == len(mutation.mutants(SOURCE))


def test_statements_in_a_function_run_only_their_tests_and_defaults_run_all():
    by_change = {m.change: m for m in mutation.mutants(SOURCE)}
    assert by_change["total = 0  ->  pass"].lines == (4, 4)
    assert by_change["if x > 0 and not i:  ->  if True:"].lines == (6, 6)
    twos = {m.lineno: m.lines for m in mutation.mutants(SOURCE) if m.change == "2  ->  3"}
    assert twos == {2: None, 7: (7, 7)}  # the default n=2 is evaluated at import: every test


def test_modules_and_their_tests_exist_and_equivalents_match_one_mutant_each():
    root = Path(mutation.__file__).resolve().parents[2]
    for module, tests in mutation.MODULES.items():
        assert (root / "src" / "nnbasics" / module).is_file() and (root / tests).is_file()
    for (module, line, change), reason in mutation.EQUIVALENT.items():
        source = (root / "src" / "nnbasics" / module).read_text()
        matches = [m for m in mutation.mutants(source) if (m.line_text, m.change) == (line, change)]
        assert len(matches) == 1 and reason, (module, line, change)
