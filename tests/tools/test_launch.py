"""The launch buttons' path: the install cell of every notebook, Binder, licences and version.

The fresh-environment check (``make launch-check``, part of ``make test``) is the Colab/Binder
path without network: a new virtual environment sees the pinned packages of ``.venv`` but not
``nnbasics``; the notebook's launch cell installs the course from a copy of this checkout
(``NNBASICS_SOURCE``) and the whole notebook then runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
import yaml

import nnbasics
from nnbasics_course.student import (
    LAUNCH_TAG,
    add_launch_cell,
    book_version,
    launch_cell_source,
    launch_version,
    repository_url,
)
from nnbasics_course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = toc_notebooks(ROOT)
SOURCE = launch_cell_source(book_version(ROOT), repository_url(ROOT))


def _launch_cells(nb) -> list:
    return [c for c in nb.cells if LAUNCH_TAG in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_notebook_starts_with_the_launch_cell(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert _launch_cells(nb) == [first_code], "the launch cell must be the first code cell, once"
    assert first_code.source == SOURCE, "stale launch cell: re-run add_launch_cell"
    assert first_code.outputs == []  # where nnbasics is installed it prints nothing
    assert "remove-cell" in first_code.metadata["tags"]


def test_the_launch_cell_installs_the_books_version() -> None:
    version = book_version(ROOT)
    assert version == nnbasics.__version__
    assert launch_version(SOURCE) == version
    assert f"git+{repository_url(ROOT)}@v{version}" in SOURCE
    assert "--no-deps" in SOURCE  # the course never replaces a hosted torch
    assert f"## {version}" in (ROOT / "CHANGELOG.md").read_text()


def test_add_launch_cell_inserts_once_and_keeps_the_other_cells(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("import nnbasics\nnnbasics.reproducible(0)", execution_count=1),
    ])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert add_launch_cell(path, SOURCE)
    assert not add_launch_cell(path, SOURCE)  # idempotent
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells] == ["# Title", SOURCE, "import nnbasics\nnnbasics.reproducible(0)"]
    assert add_launch_cell(path, SOURCE.replace("0.1", "9.9"))  # refreshed, not duplicated
    assert len(nbformat.read(path, as_version=4).cells) == 3


def test_binder_requirements_are_the_lock_with_cpu_torch() -> None:
    def pins(text: str) -> list[str]:
        return [line for line in text.splitlines() if line and not line.startswith(("#", "-"))]

    lock = pins((ROOT / "requirements.txt").read_text())
    binder_text = (ROOT / "binder" / "requirements.txt").read_text()
    binder = pins(binder_text)
    assert [re.sub(r"^torch==(.*)\+cpu$", r"torch==\1", p) for p in binder] == lock
    assert "torch==2.13.0+cpu" in binder
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in binder_text


def test_binder_postbuild_installs_the_course() -> None:
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK)
    commands = [line for line in post.read_text().splitlines() if line and not line.startswith("#")]
    assert "python -m pip install --no-cache-dir --no-deps ." in commands
    assert "jupyterlab_widgets==" in (ROOT / "binder" / "requirements.txt").read_text()


def test_licences_and_no_placeholder_hub() -> None:
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "CC BY 4.0" in (ROOT / "LICENSE-CONTENT").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "MIT" in readme and "CC BY 4.0" in readme
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "example.org" not in (ROOT / "_config.yml").read_text()
    assert "CC BY 4.0" in config["html"]["extra_footer"]
    assert not config["launch_buttons"].get("jupyterhub_url")  # set only by an instructor


# --- A fresh environment without nnbasics (make launch-check) -------------------------------------


def _fresh_env(tmp_path: Path) -> Path:
    """A venv that sees .venv's packages (a .pth line, whose own .pth files are not processed,
    so the editable nnbasics stays invisible) and has no nnbasics of its own."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "lock.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    missing = subprocess.run([python, "-c", "import nnbasics"], capture_output=True, cwd=tmp_path)
    assert missing.returncode != 0, "nnbasics must be absent from the fresh environment"
    return python


def _source_copy(tmp_path: Path) -> Path:
    """The course's sources, copied so building them leaves nothing in the checkout."""
    dest = tmp_path / "source"
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copyfile(ROOT / name, dest / name)
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


LAUNCH_CHECK = pytest.mark.skipif(os.environ.get("NNBASICS_LAUNCH_CHECK") != "1",
                                  reason="slow (a fresh environment and kernels): make launch-check")
MNIST1D = ROOT / "book" / "capstone" / "mnist1d.ipynb"  # trains in worker processes


class FreshKernel:
    """A kernel in a fresh venv without nnbasics; run(cells) executes code cells in a new kernel."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.python = _fresh_env(tmp)
        kernels = tmp / "jupyter" / "kernels" / "fresh"
        kernels.mkdir(parents=True)
        (kernels / "kernel.json").write_text(json.dumps({
            "argv": [str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "fresh", "language": "python",
        }))
        self.env = {
            "JUPYTER_PATH": str(tmp / "jupyter"),
            "NNBASICS_SOURCE": str(_source_copy(tmp)),
            "PIP_NO_INDEX": "1",  # no network: everything but the course is there
            "TQDM_DISABLE": "1",
        }

    def run(self, nb, cwd: Path, allow_errors: bool = False):
        from nbclient import NotebookClient

        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            NotebookClient(nb, timeout=600, kernel_name="fresh", allow_errors=allow_errors,
                           resources={"metadata": {"path": str(cwd)}}).execute()
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        return nb


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> FreshKernel:
    return FreshKernel(tmp_path_factory.mktemp("fresh"))


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs)


def _launch_only() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE)])


@LAUNCH_CHECK
def test_a_fresh_kernel_installs_the_course_once_and_then_prints_nothing(tmp_path: Path) -> None:
    fresh = FreshKernel(tmp_path)  # its own environment: under xdist, any test may run first in `fresh`
    first = fresh.run(_launch_only(), fresh.tmp)
    message = f"Installed nnbasics {book_version(ROOT)} and its extras into this kernel.\n"
    assert _printed(first.cells[0]) == message
    installed = subprocess.run([fresh.python, "-c", "import nnbasics; print(nnbasics.__file__)"],
                               check=True, capture_output=True, text=True, cwd=fresh.tmp).stdout
    assert str(fresh.tmp / "venv") in installed  # the installed copy, not the checkout
    again = fresh.run(_launch_only(), fresh.tmp)
    assert _printed(again.cells[0]) == ""


def notebook_imports(nb) -> list[str]:
    """Every import statement of a notebook's code cells (at any depth), as source lines."""
    import ast

    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code" or LAUNCH_TAG in cell.metadata.get("tags", []):
            continue
        # IPython magics (%matplotlib inline, !pip) are not Python: drop those lines, keep the rest
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a cell magic (%%...) or other non-Python cell: not this check's business
            continue
        lines += [ast.unparse(node) for node in ast.walk(tree)
                  if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "level", 0) == 0]
    return list(dict.fromkeys(lines))


def test_notebook_imports_finds_nested_imports_once() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch\nif True:\n    from mnist1d.data import make_dataset"),
        nbformat.v4.new_code_cell("import torch\n%matplotlib inline"),
        nbformat.v4.new_code_cell("def f():\n    import mlxtend.data as d\n    return d"),
    ])
    assert notebook_imports(nb) == ["import torch", "from mnist1d.data import make_dataset",
                                    "import mlxtend.data as d"]


@LAUNCH_CHECK
def test_after_the_launch_cell_every_import_of_every_notebook_works(fresh: FreshKernel) -> None:
    """The fresh kernel, after the launch cell, imports everything each notebook imports.

    What differs between a fresh environment and .venv is only what is installed, so this and nbval
    together cover the notebooks (and the MNIST-1D page's worker processes, below). Every notebook's
    launch cell is the same (test_every_notebook_starts_with_the_launch_cell), so one kernel runs it
    once, then each notebook's imports in a cell of their own: an error names its notebook.
    """
    cells = [nbformat.v4.new_code_cell(SOURCE)]
    for path in NOTEBOOKS:
        imports = notebook_imports(nbformat.read(path, as_version=4))
        assert imports, f"{path.relative_to(ROOT)}: a notebook without imports?"
        cells.append(nbformat.v4.new_code_cell(f"# {path.relative_to(ROOT)}\n" + "\n".join(imports)))
    nb = fresh.run(nbformat.v4.new_notebook(cells=cells), ROOT / "book", allow_errors=True)
    failed = {cell.source.splitlines()[0][2:]: f"{o['ename']}: {o['evalue']}"
              for cell in nb.cells[1:] for o in cell.outputs if o.get("output_type") == "error"}
    assert not [o for o in nb.cells[0].outputs if o.get("output_type") == "error"], "the launch cell failed"
    assert not failed, failed
    assert len(nb.cells) == len(NOTEBOOKS) + 1 and all(cell.get("execution_count") for cell in nb.cells)


# What a fresh environment can break beyond imports: the MNIST-1D page trains in worker processes
# (spawned, so each imports the installed nnbasics anew). Its full run here took about 70 s of the
# check and repeated what nbval runs on both CPU paths; the workers' start is what only this
# environment tests, so they train three of its models a few steps (two with their seeds stacked,
# one a job per seed) and must match a run in .venv.
WORKERS = """from functools import partial
runs = fast_seeds.train_seeds({"GRU": (partial(K.MNIST1DGRU, rnn=fast_recurrent.GRU), 4),
                               "MLP": (K.MNIST1DMLP, 4), "logistic regression": (K.Logistic, 4)},
                              data, seeds=(0, 1), workers=2)
print(repr({name: [r.step_loss for r in rs] for name, rs in runs.items()}))
"""


@LAUNCH_CHECK
def test_the_mnist1d_pages_worker_processes_train_in_the_fresh_kernel(fresh: FreshKernel) -> None:
    import ast

    setup = [c.source for c in nbformat.read(MNIST1D, as_version=4).cells
             if c.cell_type == "code" and "load_mnist1d()" in c.source]
    assert len(setup) == 1, "the page's set-up cell (imports, data) not found"
    nb = fresh.run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s)
                                                   for s in (SOURCE, setup[0], WORKERS)]), MNIST1D.parent)
    assert all(o.get("output_type") != "error" for c in nb.cells for o in c.outputs)
    there = ast.literal_eval(_printed(nb.cells[2]))
    namespace: dict = {}
    exec(compile(setup[0].replace("%matplotlib inline", ""), "setup", "exec"), namespace)
    exec(WORKERS.replace("print(", "here = ("), namespace)
    assert len(there["GRU"]) == 2 and len(there["MLP"][1]) == 4  # two seeds, four steps
    assert len(there["logistic regression"]) == 2  # a job per seed, beside the stacked jobs
    assert there == ast.literal_eval(namespace["here"])


def test_exercises_pages_launch_the_student_notebook() -> None:
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from nnbasics_launch import student_launch_links

    def context(path: str) -> dict:
        return {"header_buttons": [{"label": "launch-buttons", "buttons": [
            {"url": f"https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/{path}"},
            {"url": f"https://colab.research.google.com/github/o/r/blob/main/{path}"},
            {"url": "https://hub/hub/git-pull?urlpath=lab%2Ftree%2Fr%2F" + quote(path, safe="")},
        ]}]}

    ctx = context("book/conv/exercises.ipynb")
    student_launch_links(None, "book/conv/exercises", "page.html", ctx, None)
    urls = [b["url"] for b in ctx["header_buttons"][0]["buttons"]]
    assert all("student" in u and "book%2Fconv" not in u and "book/conv" not in u for u in urls), urls
    ctx = context("book/conv/conv.ipynb")
    student_launch_links(None, "book/conv/conv", "page.html", ctx, None)
    assert ctx == context("book/conv/conv.ipynb")  # chapter pages launch the chapter
