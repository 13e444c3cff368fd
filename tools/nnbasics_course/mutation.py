"""Mutation testing of the training modules: do their tests fail when the code is wrong?

``python -m nnbasics_course.mutation [MODULE ...]`` (``make mutation``; not part of ``make test``).

For each module below, every mutant the operators produce is applied, one at a time, to a
temporary copy of ``src/nnbasics`` (the working tree is never written), and the module's own test
file is run against it with ``pytest -x``. A mutant the tests fail on (or that hangs past the
timeout) is *killed*; one they pass on *survived*, and is printed with its line and change.

Operators: ``+ - * /`` swapped (and ``//``, ``%``, ``**``), comparisons changed and negated,
``and``/``or`` swapped, ``not`` and unary minus removed, numbers changed (0 -> 1, n -> n + 1),
``True``/``False`` swapped, return values replaced by ``None``, ``if`` conditions forced ``True``
and ``False``, augmented assignments changed (``+=`` -> ``-=``, ``x += y`` -> ``x = y``, ...),
and every simple statement in a function body deleted (replaced by ``pass``).

Speed: the runner imports torch, pytest and hypothesis once and forks one child per mutant; it
first runs the test file once under coverage, one coverage context per test, and a mutant then
runs only the tests that execute its statement (all of them for code run at import, such as
default arguments). A mutant on a statement no test executes survives without a run.

Equivalent mutants (the behaviour is identical, so no test can kill them) are listed in
``EQUIVALENT`` with a reason each; they are left out of the score and printed apart.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Module (relative to src/nnbasics) -> its own test file.
MODULES = {
    "gradcheck.py": "tests/test_gradcheck.py",
    "training.py": "tests/test_training.py",
    "optim/__init__.py": "tests/test_optim.py",
    "optim/lr_scheduler.py": "tests/test_optim_lr_scheduler.py",
    "regularization.py": "tests/test_regularization.py",
}

# (module, the mutated line as written, change) -> why no test can tell the mutant from the original.
_STRICT = "zip(..., strict=True) of sequences equal in length by construction: strict never fires"
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("gradcheck.py",
     "shared = any(step == 0 and size > 1 for step, size in zip(t.stride(), t.shape, strict=True))",
     "True  ->  False"): _STRICT,
    ("gradcheck.py", "for jac, grad in zip(jacobians, grads, strict=True):", "True  ->  False"): _STRICT,
    ("gradcheck.py", "for number, a_jac, n_jac in zip(numbers, analytic, numeric, strict=True):",
     "True  ->  False"): _STRICT,
    ("gradcheck.py", "index = torch.unravel_index(torch.tensor(i), out.shape) if out.dim() else ()",
     "torch.unravel_index(torch.tensor(i), out.shape) if out.dim() else ()  ->  "
     "torch.unravel_index(torch.tensor(i), out.shape)"):
        "torch.unravel_index(i, ()) is () too: the 0-dim branch is a shortcut, not a behaviour",
    ("optim/lr_scheduler.py",
     "for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):",
     "True  ->  False"): _STRICT + " (min_lrs is resized to the groups just above)",
    ("optim/lr_scheduler.py",
     "for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):",
     "True  ->  False"): _STRICT + " (torch's LRScheduler sets one base_lr per group)",
    ("optim/__init__.py", "if mu:", "if mu:  ->  if True:"):
        "with momentum 0 SGD keeps no state (_has_state), so the buffer is None at every step and "
        "is the gradient itself: the update is the same",
    ("regularization.py", "keep = (torch.rand(mask_shape, device=x.device) >= p).to(x.dtype)",
     "torch.rand(mask_shape, device=x.device) >= p  ->  torch.rand(mask_shape, device=x.device) > p"):
        "the two differ only where a uniform draw equals p exactly (chance 2**-24 per entry in "
        "float32): no test can see it without fixing the random numbers to p",
    ("regularization.py", "scale = (1.0 / (1.0 - p) if p < 1 else 0.0) if scaling == \"inverted\" else 1.0",
     "0.0  ->  1.0"):
        "p = 1 keeps no entry (rand >= 1 never holds): the mask is all zeros, so any scale gives "
        "zeros, forward and backward",
    ("regularization.py", "count = x.numel() // channels", "x.numel() // channels  ->  x.numel() / channels"):
        "numel is a multiple of channels, so the quotient is the same number; it is only compared "
        "with 1",
}

BINOP_SWAPS = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.Div],
    ast.Div: [ast.Mult],
    ast.FloorDiv: [ast.Div],
    ast.Mod: [ast.FloorDiv],
    ast.Pow: [ast.Mult],
}
COMPARE_SWAPS = {
    ast.Lt: [ast.LtE, ast.GtE],
    ast.LtE: [ast.Lt, ast.Gt],
    ast.Gt: [ast.GtE, ast.LtE],
    ast.GtE: [ast.Gt, ast.Lt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
}
AUG_SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}
SIMPLE_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Assert)


@dataclass
class Mutant:
    """One change: the node at ``index`` in ``ast.walk`` order, replaced as ``variant`` says."""

    index: int
    variant: int
    lineno: int
    function: str
    before: str
    after: str
    lines: tuple[int, int] | None  # the statement whose tests to run; None: every test
    line_text: str = ""  # the mutated line, stripped (what EQUIVALENT is keyed by)

    @property
    def change(self) -> str:
        return f"{self.before}  ->  {self.after}"


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """ids of every node inside a type annotation (never mutated: no behaviour)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotations.append(node.returns)
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if a is not None:
                    annotations.append(a.annotation)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for ann in annotations:
            if ann is not None:
                skip.update(id(n) for n in ast.walk(ann))
    return skip


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    ids.add(id(body[0]))
    return ids


def _variants(node: ast.AST, parent: ast.AST | None, in_function: bool) -> list[ast.AST]:
    """The mutated copies of ``node`` (each replaces it in its parent)."""
    out: list[ast.AST] = []
    if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        for op in BINOP_SWAPS[type(node.op)]:
            out.append(ast.BinOp(node.left, op(), node.right))
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for new in COMPARE_SWAPS.get(type(op), []):
                ops = list(node.ops)
                ops[i] = new()
                out.append(ast.Compare(node.left, ops, node.comparators))
    elif isinstance(node, ast.BoolOp):
        out.append(ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        out.append(node.operand)
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        out.append(ast.Constant(not node.value))
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        out.append(ast.Constant(node.value + 1))
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            out.append(ast.Return(ast.Constant(None)))
    elif isinstance(node, ast.If):
        for value in (True, False):
            out.append(ast.If(ast.Constant(value), node.body, node.orelse))
    elif isinstance(node, ast.IfExp):
        out.append(node.body)
        out.append(node.orelse)
    elif isinstance(node, ast.AugAssign):
        if type(node.op) in AUG_SWAPS:
            out.append(ast.AugAssign(node.target, AUG_SWAPS[type(node.op)](), node.value))
        out.append(ast.Assign([node.target], node.value))
    if in_function and isinstance(node, SIMPLE_STATEMENTS):
        out.append(ast.Pass())
    return out


def _header_lines(stmt: ast.stmt) -> tuple[int, int]:
    """The lines a statement runs on: for a compound one, its header (``if x:``), not its body."""
    ends = [stmt.end_lineno or stmt.lineno]
    if hasattr(stmt, "body"):
        ends = [stmt.lineno]
        for field in ("test", "iter", "target", "items"):
            value = getattr(stmt, field, None)
            for sub in value if isinstance(value, list) else [value]:
                if isinstance(sub, ast.AST) and getattr(sub, "end_lineno", None):
                    ends.append(sub.end_lineno)
    return stmt.lineno, max(ends)


def _walk_with_context(tree: ast.Module) -> Iterator[tuple]:
    """(node, parent, enclosing function name, enclosing statement, inside a function body)."""
    info: dict[int, tuple] = {id(tree): (None, "<module>", None, False)}
    for node in ast.walk(tree):
        parent, function, stmt, in_def = info[id(node)]
        yield node, parent, function, stmt, in_def
        for child in ast.iter_child_nodes(node):
            child_function, child_in_def = function, in_def
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child in node.body:
                child_function = node.name if function == "<module>" else f"{function}.{node.name}"
                child_in_def = not isinstance(node, ast.ClassDef)
            info[id(child)] = (node, child_function, child if isinstance(child, ast.stmt) else stmt,
                               child_in_def)


def mutants(source: str) -> list[Mutant]:
    """Every mutant of a module's source."""
    tree = ast.parse(source)
    skip = _annotation_nodes(tree) | _docstrings(tree)
    found = []
    for index, (node, parent, function, stmt, in_def) in enumerate(_walk_with_context(tree)):
        if id(node) in skip or isinstance(node, ast.Module):
            continue
        in_function = in_def and isinstance(node, ast.stmt)
        # Inside a function body: the tests executing the statement; elsewhere (defaults, class
        # bodies, module level) the code runs at import, so every test.
        runs_in_call = in_def and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        lines = _header_lines(stmt) if runs_in_call else None
        for variant, new in enumerate(_variants(node, parent, in_function)):
            lineno = getattr(node, "lineno", getattr(stmt, "lineno", 0))
            before = ast.get_source_segment(source, node) or ast.unparse(node)
            new = ast.fix_missing_locations(ast.copy_location(copy.copy(new), node))
            if isinstance(node, ast.If):
                before, after = _header_text(source, node), _header_text(None, new)
            else:
                after = ast.unparse(new)
            text = source.splitlines()[lineno - 1].strip() if lineno else ""
            found.append(Mutant(index, variant, lineno, function, _one_line(before), _one_line(after), lines,
                                text))
    return found


def _header_text(source: str | None, node: ast.AST) -> str:
    if isinstance(node, ast.If):
        test = ast.get_source_segment(source, node.test) if source else ast.unparse(node.test)
        return f"if {test}:"
    return (ast.get_source_segment(source, node) if source else None) or ast.unparse(node)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 110 else text[:107] + "..."


def apply(source: str, mutant: Mutant) -> str:
    """The module's source with one mutant applied."""
    tree = ast.parse(source)
    for index, (node, parent, _, _, in_def) in enumerate(_walk_with_context(tree)):
        if index != mutant.index:
            continue
        in_function = in_def and isinstance(node, ast.stmt)
        new = _variants(node, parent, in_function)[mutant.variant]
        new = copy.deepcopy(new)
        ast.copy_location(new, node)
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, new)
                break
            if isinstance(value, list) and any(v is node for v in value):
                value[next(i for i, v in enumerate(value) if v is node)] = new
                break
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    raise IndexError(mutant.index)


# ---------------------------------------------------------------------------------------------
# Running: one forked child per run, with torch, pytest and hypothesis imported once.


def _child_pytest(src_copy: Path, args: list[str], plugins: list[object]) -> int:
    sys.path.insert(0, str(src_copy))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import pytest

    code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", *args], plugins=plugins)
    loaded = sys.modules.get("nnbasics")
    if loaded is None or not str(loaded.__file__).startswith(str(src_copy)):
        return 99  # the tests did not import the mutated copy: a broken run, not a kill
    return int(code)


def _fork(function, timeout: float) -> tuple[int | None, float]:
    """Run ``function()`` in a child process; its exit code (None after a timeout), seconds."""
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.setpgid(0, 0)
        code = 98
        try:
            code = function()
        finally:
            os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), time.monotonic() - start
        if time.monotonic() - start > timeout:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None, time.monotonic() - start
        time.sleep(0.02)


class _Contexts:
    """pytest plugin: one coverage context per test, so each line knows which tests run it."""

    def __init__(self, cov):
        self.cov = cov

    def pytest_runtest_setup(self, item):
        self.cov.switch_context(item.nodeid)

    def pytest_runtest_teardown(self, item):
        self.cov.switch_context("")


def _coverage_map(src_copy: Path, module_file: Path, test_file: str, out: Path) -> int:
    import coverage

    cov = coverage.Coverage(data_file=None, include=[str(module_file)])
    cov.start()
    code = _child_pytest(src_copy, ["--tb=short", test_file], [_Contexts(cov)])
    cov.stop()
    data = cov.get_data()
    by_line = {}
    for filename in data.measured_files():
        by_line = {str(k): sorted(v) for k, v in data.contexts_by_lineno(filename).items()}
    out.write_text(json.dumps(by_line))
    return code


def run_module(module: str, test_file: str, timeout_factor: float = 3.0) -> dict:
    """Every mutant of one module against its test file; returns the counts and the survivors."""
    source = (ROOT / "src" / "nnbasics" / module).read_text()
    with tempfile.TemporaryDirectory(prefix="nnbasics-mutation-") as tmp:
        src_copy = Path(tmp) / "src"
        shutil.copytree(ROOT / "src" / "nnbasics", src_copy / "nnbasics",
                        ignore=shutil.ignore_patterns("__pycache__"))
        target = src_copy / "nnbasics" / module
        cov_file = Path(tmp) / "coverage.json"
        code, baseline = _fork(lambda: _coverage_map(src_copy, target, test_file, cov_file), 3600)
        if code != 0:
            raise SystemExit(f"{test_file} fails on the unmutated code (exit {code}): fix that first")
        by_line: dict[str, list[str]] = json.loads(cov_file.read_text())
        timeout = max(20.0, timeout_factor * baseline)
        all_mutants = mutants(source)
        killed, survived, equivalent = [], [], []
        for n, mutant in enumerate(all_mutants, 1):
            key = (module, mutant.line_text, mutant.change)
            if key in EQUIVALENT:
                equivalent.append((mutant, EQUIVALENT[key]))
                continue
            if mutant.lines is None:
                tests = [test_file]
            else:
                first, last = mutant.lines
                contexts = set()
                for line in range(first, last + 1):
                    contexts.update(by_line.get(str(line), []))
                tests = [test_file] if "" in contexts else sorted(contexts)
            if not tests:
                survived.append((mutant, "no test runs this line"))
                continue
            target.write_text(apply(source, mutant))
            try:
                code, _ = _fork(lambda t=tests: _child_pytest(src_copy, t, []), timeout)
            finally:
                target.write_text(source)
            if code == 99:
                raise SystemExit("the tests imported nnbasics from elsewhere than the mutated copy")
            if code == 0:
                survived.append((mutant, f"{len(tests)} tests pass"))
            else:
                killed.append(mutant)
            print(f"\r  {module}: {n}/{len(all_mutants)} mutants, {len(survived)} survived",
                  end="", flush=True)
        print()
    considered = len(killed) + len(survived)
    return {
        "module": module,
        "tests": test_file,
        "killed": len(killed),
        "considered": considered,
        "equivalent": equivalent,
        "survived": survived,
        "score": len(killed) / considered if considered else 1.0,
    }


def _preload() -> None:
    """Import once, in the parent, what every child would import: torch, pytest and its plugins."""
    import importlib
    from importlib.metadata import entry_points

    for name in ("torch", "torch.optim.lr_scheduler", "torch.utils.data", "numpy", "tqdm.auto",
                 "pytest", "hypothesis", "coverage"):
        importlib.import_module(name)
    for plugin in entry_points(group="pytest11"):
        plugin.load()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--min-score", type=float, default=0.9, help="fail below this (default 0.9)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {unknown}; choose from {list(MODULES)}")
    os.chdir(ROOT)
    # On `kill`, unwind normally: the temporary copy is removed (the working tree is never touched).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.dont_write_bytecode = True  # the copy is re-read from source on every run
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    os.environ.setdefault("TQDM_DISABLE", "1")
    if args.list:
        for module in args.modules or MODULES:
            source = (ROOT / "src" / "nnbasics" / module).read_text()
            for m in mutants(source):
                print(f"{module}:{m.lineno} [{m.function}] {m.change}")
        return 0
    _preload()

    results = []
    for module in args.modules or MODULES:
        start = time.monotonic()
        result = run_module(module, MODULES[module])
        result["seconds"] = time.monotonic() - start
        results.append(result)
        for mutant, why in sorted(result["survived"], key=lambda pair: pair[0].lineno):
            print(f"  SURVIVED {module}:{mutant.lineno} [{mutant.function}] {mutant.change}  ({why})")
        for mutant, why in result["equivalent"]:
            print(f"  equivalent {module}:{mutant.lineno} [{mutant.function}] {mutant.change}  ({why})")
    print(f"\n{'module':<23} {'tests':<35} killed / considered  score  (equivalent)")
    failed = False
    for r in results:
        print(f"{r['module']:<23} {r['tests']:<35} {r['killed']:>6} / {r['considered']:<10} "
              f"{r['score']:6.1%}  ({len(r['equivalent'])})   {r['seconds']:.0f} s")
        failed |= r["score"] < args.min_score
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
