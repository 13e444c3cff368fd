"""How many lines a reader must read to understand one op of nnbasics, with its backward.

Starting from an entry point (``activations.relu``), follow every name the code uses that is
defined in ``src/nnbasics`` (functions, classes with their bases and methods, module constants,
``numerics.tanh``-style attributes), transitively, and count the lines of each definition reached.
torch, the standard library and the package's ``fast`` and ``benchmarks`` modules are not followed.

    python tools/reading_path.py                   # the working tree
    python tools/reading_path.py --rev 83e5421     # any commit, read with git show
    python tools/reading_path.py --rev 83e5421 --rev HEAD   # side by side
    python tools/reading_path.py --show conv.Conv2d        # list the definitions on one path

"Lines" are non-blank lines, docstrings and comments included (a reader reads them); "code" leaves
out docstrings and comment-only lines. "Without _checks" leaves out the shared argument checks of
``nnbasics._checks``, which every public function calls at its edge.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "src/nnbasics"
SKIPPED = ("fast", "benchmarks")
# The paths issue 33 asks about: each op from its function (the Function and what it calls) and
# from its module class (what a PyTorch user instantiates, with its parameters' initialisation).
# Where an entry has alternatives, the first one a commit defines is used: before issue 33 a single
# LSTM step ran through LSTMCell, after it LSTMStep is the step.
ENTRIES = {
    "ReLU": ("activations.relu",),
    "ReLU module": ("activations.ReLU",),
    "cross-entropy": ("losses.cross_entropy",),
    "cross-entropy module": ("losses.CrossEntropyLoss",),
    "conv2d": ("conv.conv2d",),
    "Conv2d module": ("conv.Conv2d",),
    "LSTM step": ("recurrent.LSTMStep", "recurrent.LSTMCell"),
    "LSTMCell module": ("recurrent.LSTMCell",),
    "LSTM layer": ("recurrent.LSTM",),
}


@dataclass
class Definition:
    module: str
    name: str
    node: ast.AST
    lines: list[str]

    @property
    def key(self) -> str:
        return f"{self.module}.{self.name}"


def sources(rev: str | None) -> dict[str, str]:
    """Module name (``conv``, ``optim.lr_scheduler``) -> source text, at ``rev`` or in the working tree."""
    if rev is None:
        package = ROOT / PACKAGE
        files = {p.relative_to(package).as_posix(): p.read_text() for p in package.rglob("*.py")}
    else:
        def git(*args: str) -> str:
            return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout

        paths = [p for p in git("ls-tree", "-r", "--name-only", rev, PACKAGE).split() if p.endswith(".py")]
        files = {path[len(PACKAGE) + 1:]: git("show", f"{rev}:{path}") for path in paths}
    modules = {}
    for path, text in files.items():
        name = path[:-3].replace("/", ".").removesuffix(".__init__").removesuffix("__init__")
        if name.split(".")[0] not in SKIPPED:
            modules[name or "__init__"] = text
    return modules


class Index:
    """Every top-level definition of every module, and what each module's names refer to."""

    def __init__(self, modules: dict[str, str]) -> None:
        self.definitions: dict[str, Definition] = {}
        self.aliases: dict[str, dict[str, str]] = {}  # module -> local name -> "module.name" or "module"
        for module, text in modules.items():
            lines = text.splitlines()
            tree = ast.parse(text)
            aliases = self.aliases.setdefault(module, {})
            for node in tree.body:
                for name in _defined_names(node):
                    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                    self.definitions[f"{module}.{name}"] = Definition(module, name, node,
                                                                      lines[start - 1:node.end_lineno])
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nnbasics"):
                    source = node.module.removeprefix("nnbasics").lstrip(".")
                    for alias in node.names:
                        target = f"{source}.{alias.name}".lstrip(".")
                        aliases[alias.asname or alias.name] = target if source else alias.name
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("nnbasics.") and alias.asname:
                            aliases[alias.asname] = alias.name.removeprefix("nnbasics.")
        self.modules = set(modules)

    def resolve(self, module: str, dotted: str) -> str | None:
        """The definition key a dotted name used in ``module`` refers to, if it is one of ours."""
        head, *rest = dotted.split(".")
        target = self.aliases.get(module, {}).get(head, f"{module}.{head}")
        candidates = [".".join([target, *rest[:i]]) for i in range(len(rest), -1, -1)]
        return next((c for c in candidates if c in self.definitions), None)

    def path(self, entry: str) -> list[Definition]:
        """Every definition reachable from ``entry``, in the order first reached."""
        seen: dict[str, Definition] = {}
        todo = [entry]
        while todo:
            key = todo.pop(0)
            if key in seen or key not in self.definitions:
                continue
            definition = seen[key] = self.definitions[key]
            for dotted in _names_used(definition.node):
                found = self.resolve(definition.module, dotted)
                if found and found not in seen:
                    todo.append(found)
        return list(seen.values())


def _defined_names(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [t.id for t in targets if isinstance(t, ast.Name) and t.id != "__all__"]
    return []


def _names_used(node: ast.AST) -> set[str]:
    """Dotted names read inside ``node`` (``conv2d``, ``numerics.tanh``), and its base classes."""
    used = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and isinstance(child.ctx, ast.Load):
            parts, inner = [child.attr], child.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name):
                used.add(".".join([inner.id, *reversed(parts)]))
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            used.add(child.id)
    return used


def count(definitions: list[Definition]) -> tuple[int, int]:
    """(non-blank lines, code lines without docstrings and comment-only lines)."""
    lines = code = 0
    for definition in definitions:
        docstrings = set()
        for child in ast.walk(definition.node):
            body = getattr(child, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
        start = definition.node.lineno - (len(definition.lines) - (definition.node.end_lineno
                                                                  - definition.node.lineno + 1))
        for number, text in enumerate(definition.lines, start):
            if text.strip():
                lines += 1
                code += number not in docstrings and not text.strip().startswith("#")
    return lines, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", action="append",
                        help="a git commit (repeat to compare); default: the working tree")
    parser.add_argument("--show", help="list the definitions on the path from this entry, e.g. conv.conv2d")
    args = parser.parse_args()
    revs = args.rev or [None]
    indexes = {rev or "working tree": Index(sources(rev)) for rev in revs}
    if args.show:
        for label, index in indexes.items():
            print(f"{label}:")
            for definition in index.path(args.show):
                print(f"  {count([definition])[0]:4d}  {definition.key}")
        return
    heads = [f"{label}: entry, lines (code) / without _checks" for label in indexes]
    print("| path | " + " | ".join(heads) + " |")
    print("| --- | " + " | ".join("---" for _ in indexes) + " |")
    for topic, alternatives in ENTRIES.items():
        cells = []
        for index in indexes.values():
            entry = next((e for e in alternatives if e in index.definitions), None)
            if entry is None:
                cells.append("-")
                continue
            path = index.path(entry)
            lines, code = count(path)
            own = count([d for d in path if d.module != "_checks"])
            cells.append(f"`{entry}` {lines} ({code}) / {own[0]} ({own[1]})")
        print(f"| {topic} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
