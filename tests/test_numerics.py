"""Tests for nnbasics.numerics: the stable formulas match torch, stay finite at |x| = 1000, and are
the only copies in the library."""

import ast
import math
import warnings
from pathlib import Path

import pytest
import torch

from nnbasics import numerics

SRC = Path(numerics.__file__).parent
TWINS = [(numerics.sigmoid, torch.sigmoid), (numerics.tanh, torch.tanh),
         (numerics.softplus, torch.nn.functional.softplus),
         (lambda x: numerics.log_softmax(x, -1), lambda x: torch.log_softmax(x, -1))]


@pytest.mark.parametrize(("ours", "theirs"), TWINS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_torch_on_random_and_extreme_inputs(ours, theirs, dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(40, generator=g, dtype=dtype) * 5,
                   torch.tensor([-1000.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 1000.0], dtype=dtype)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = ours(x)
    assert torch.isfinite(y).all()
    torch.testing.assert_close(y, theirs(x))


def test_tanh_keeps_full_precision_near_zero():
    x = torch.tensor([1e-12], dtype=torch.float64)
    assert numerics.tanh(x).item() == pytest.approx(math.tanh(1e-12), rel=1e-15)


def test_log_softmax_of_an_empty_tensor_is_empty():
    assert numerics.log_softmax(torch.empty(0, 3), 0).shape == (0, 3)


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nnbasics"):
            yield node.module, [alias.name for alias in node.names]


def test_no_module_imports_another_modules_private_helpers():
    """Shared code is public (numerics, _checks' check_* functions); a leading underscore stays home."""
    crossings = [f"{path.relative_to(SRC)}: from {module} import {name}"
                 for path in SRC.rglob("*.py") for module, names in _imports(path)
                 for name in names if name.startswith("_")]
    assert crossings == []


def test_each_stable_formula_is_written_once():
    """exp(-|x|) is the mark of the stable sigmoid and softplus; only numerics writes it."""
    writers = sorted(str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
                     if "torch.exp(-x.abs())" in path.read_text() or "exp(-z.abs())" in path.read_text())
    assert writers == ["numerics.py"]


SPECIAL = [math.inf, -math.inf, math.nan, 0.0, -0.0, 1e-30, -1e-30, 1e-8, -1e-8, 20.0, -20.0, 800.0, -800.0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sigmoid_and_tanh_equal_their_former_two_branch_formulas_bit_for_bit(dtype):
    # Before 7 December 2026 both chose a branch with torch.where (a scalar loop on CPU). The
    # one-formula versions give the same numbers: every value equal (-0.0 == 0.0), NaN where NaN.
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.tensor(SPECIAL, dtype=dtype), torch.randn(100_000, generator=g, dtype=dtype) * 30])
    e = torch.exp(-x.abs())
    former_sigmoid = torch.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    e2 = torch.exp(-2.0 * x.abs())
    tanh_abs = -torch.expm1(-2.0 * x.abs()) / (1.0 + e2)
    former_tanh = torch.where(x < 0, -tanh_abs, tanh_abs)
    assert torch.equal(numerics.sigmoid(x).nan_to_num(7.0), former_sigmoid.nan_to_num(7.0))
    assert torch.equal(numerics.tanh(x).nan_to_num(7.0), former_tanh.nan_to_num(7.0))
    assert torch.equal(torch.signbit(numerics.tanh(x[:5])), torch.signbit(torch.tanh(x[:5])))  # -0.0 kept
