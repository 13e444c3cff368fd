"""The nbval tolerance plugin: numbers may move within a cell's declared tolerance, nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnbasics_course.nbval_tolerance import KEY, VEGALITE, Tolerance, _split, compare_specs
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


def _spec(values: list, digits: int = 4) -> dict:
    return {"mark": "line", "usermeta": {"nnbasics": {"digits": digits}},
            "datasets": {"main": [{"ctl_k": 1, "y": values, "label": "a"}]}}


@pytest.mark.parametrize(("stored", "printed", "ok"), [
    ([0.1234, 12340.0, 1], [0.1235, 12330.0, 1], True),   # one unit in the 4th significant digit
    ([0.1234], [0.1236], False),                          # two units
    ([9.999], [10.0], True),                              # across a power of ten
    ([1], [2], False),                                    # integers are exact
    ([1.0], [None], False),                               # a number became NaN (null)
    ([0.1, 0.2], [0.1], False),                           # a value more or less
])
def test_explorer_data_may_move_one_unit_in_the_last_digit_and_nothing_else(stored, printed, ok) -> None:
    problems = compare_specs(_spec(stored), _spec(printed), 4)
    assert (problems == []) is ok, problems


def test_explorer_structure_and_strings_are_exact() -> None:
    ref, test = _spec([0.5]), _spec([0.5])
    test["datasets"]["main"][0]["label"] = "b"
    assert compare_specs(ref, test, 4) == ["spec.datasets.main[0].label: 'b' printed, 'a' stored"]
    test = _spec([0.5])
    test["mark"] = "point"
    assert compare_specs(ref, test, 4) == ["spec.mark: 'point' printed, 'line' stored"]


def _explorer_notebook(path: Path, printed: list, stored: list) -> Path:
    nb = nbformat.v4.new_notebook()
    source = f"from IPython.display import display\ndisplay({{{VEGALITE!r}: {_spec(printed)!r}}}, raw=True)"
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data={VEGALITE: _spec(stored)})]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_nbval_with_the_plugin_compares_explorer_data_within_its_rounding(tmp_path: Path) -> None:
    within = _nbval(_explorer_notebook(tmp_path / "within.ipynb", [0.1235, 7], [0.1234, 7]))
    assert within.returncode == 0, within.stdout
    beyond = _nbval(_explorer_notebook(tmp_path / "beyond.ipynb", [0.1237, 7], [0.1234, 7]))
    assert beyond.returncode == 1, beyond.stdout
    assert "explorer data outside one unit in its last (4th) significant digit" in beyond.stdout
    assert "spec.datasets.main[0].y[0]: 0.1237 printed, 0.1234 stored" in beyond.stdout
