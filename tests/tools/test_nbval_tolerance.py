"""The nbval tolerance plugin: numbers may move within a cell's declared tolerance, nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnbasics_course.nbval_tolerance import KEY, Tolerance, _split
from nnbasics_course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[2]


def test_split_finds_the_numbers_as_printed_and_leaves_versions_and_names_alone() -> None:
    words, numbers = _split("epoch 3: loss 0.5. acc 76.2 %, torch 2.13.0, conv2d, grad 1.2e-06 -0.25 nan")
    assert numbers == ["3", "0.5", "76.2", "1.2e-06", "-0.25", "nan"]
    assert any("torch 2.13.0, conv2d, grad" in w for w in words)


@pytest.mark.parametrize(("ref", "test", "ok"), [
    ("accuracy  9.9 % after 20 epochs", "accuracy 10.4 % after 20 epochs", True),   # within, column shifts
    ("accuracy  9.9 % after 20 epochs", "accuracy 11.0 % after 20 epochs", False),  # 1.1 > atol 1
    ("accuracy  9.9 % after 20 epochs", "accuracy 9.9 % after 21 epochs", False),   # integers are exact
    ("accuracy  9.9 % after 20 epochs", "accuracy 9.9 % after 20 steps", False),    # words are exact
    ("accuracy  9.9 %", "accuracy 9.9 % 1.0", False),                               # one number more
    ("loss 0.25", "loss nan", False),
])
def test_compare_accepts_only_numbers_within_the_tolerance(ref: str, test: str, ok: bool) -> None:
    problems = Tolerance(atol=1.0, reason="test").compare(ref, test)
    assert (problems == []) is ok, problems


def test_rtol_scales_with_the_stored_value_and_integers_can_be_allowed() -> None:
    tol = Tolerance(rtol=0.1, integers=True, reason="test")
    assert tol.compare("1000 samples, loss 2.0", "1090 samples, loss 2.19") == []
    assert tol.compare("1000 samples, loss 2.0", "1090 samples, loss 2.21") != []


@pytest.mark.parametrize(("spec", "message"), [
    ({"atol": 1.0}, "reason"),
    ({"atol": 0, "reason": "r"}, "not both 0"),
    ({"atol": -1, "reason": "r"}, ">= 0"),
    ({"tol": 1, "reason": "r"}, "unknown keys"),
    (1.0, "mapping"),
])
def test_a_bad_declaration_is_an_error_naming_what_is_expected(spec: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Tolerance.from_metadata({KEY: spec})


def _notebook(path: Path, printed: str, stored: str, tolerance: dict | None) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f"print({printed!r})", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored + "\n")]
    if tolerance is not None:
        cell.metadata[KEY] = tolerance
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _nbval(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", "nnbasics_course.nbval_tolerance", "--nbval", "--nbval-current-env", str(path)],
        capture_output=True, text=True, cwd=path.parent, timeout=300)


def test_nbval_with_the_plugin_passes_within_and_fails_beyond_a_declared_tolerance(tmp_path: Path) -> None:
    declared = {"atol": 1.0, "reason": "accuracy of a short training run"}
    within = _nbval(_notebook(tmp_path / "within.ipynb", "accuracy 76.2 %", "accuracy 75.4 %", declared))
    assert within.returncode == 0, within.stdout
    beyond = _nbval(_notebook(tmp_path / "beyond.ipynb", "accuracy 77.2 %", "accuracy 75.4 %", declared))
    assert beyond.returncode == 1, beyond.stdout
    assert "outside the declared nbval-tolerance (accuracy of a short training run)" in beyond.stdout
    assert "|difference| 1.8 > atol 1" in beyond.stdout
    undeclared = _nbval(_notebook(tmp_path / "exact.ipynb", "accuracy 75.5 %", "accuracy 75.4 %", None))
    assert undeclared.returncode == 1, "a cell without a declaration is compared exactly"


def _compared_cells() -> list[tuple[str, int, dict]]:
    cells = []
    for path in toc_notebooks(ROOT):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and cell.outputs:
                cells.append((str(path.relative_to(ROOT)), i, cell.metadata))
    return cells


def test_tolerances_in_the_book_are_few_declared_with_a_reason_and_never_on_exact_outputs() -> None:
    cells = _compared_cells()
    tolerant = [(name, i, Tolerance.from_metadata(meta)) for name, i, meta in cells if KEY in meta]
    assert len(tolerant) <= 0.1 * len(cells), f"{len(tolerant)} of {len(cells)} compared cells are tolerant"
    for name, i, tol in tolerant:
        assert len(tol.reason) >= 20, f"{name} cell {i}: say why its numbers vary"
        assert tol.rtol <= 0.1 and tol.atol <= 5, f"{name} cell {i}: a tolerance this wide tests nothing"
    # Exercises are graded and worked examples exact: no tolerance there.
    assert not [t for t in tolerant if t[0].endswith("exercises.ipynb")]
    # nbval's own escape hatches would hide a whole cell: none is used.
    for name, i, meta in cells:
        tags = set(meta.get("tags", []))
        assert not tags & {"nbval-ignore-output", "nbval-skip"}, f"{name} cell {i}: {tags}"
