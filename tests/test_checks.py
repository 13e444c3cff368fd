"""Tests of nnbasics._checks: every check names the argument and what was expected."""

from __future__ import annotations

import pytest
import torch

from nnbasics._checks import (
    DimensionError,
    check_choice,
    check_dim,
    check_ids,
    check_int,
    check_module,
    check_optimizer,
    check_real,
    check_tensor,
)


def test_check_tensor_accepts_floating_tensors_and_returns_them():
    x = torch.ones(2, dtype=torch.float16)
    assert check_tensor(x) is x


@pytest.mark.parametrize(
    ("value", "message"),
    [(3.0, "x must be a torch.Tensor, got float"),
     (torch.ones(2, dtype=torch.bool), "x must be a floating-point tensor.*torch.bool")],
)
def test_check_tensor_rejects(value, message):
    with pytest.raises(TypeError, match=message):
        check_tensor(value, "x")


def test_check_module_returns_a_module_and_names_the_argument_otherwise():
    layer = torch.nn.Linear(2, 3)
    assert check_module(layer) is layer
    with pytest.raises(TypeError, match=r"^model must be a torch\.nn\.Module, got list$"):
        check_module([layer])
    with pytest.raises(TypeError, match=r"^net must be a torch\.nn\.Module, got Tensor$"):
        check_module(torch.ones(2), "net")


@pytest.mark.parametrize(("dim", "ndim", "expected"), [(0, 3, 0), (-1, 3, 2), (2, 3, 2), (-1, 0, 0)])
def test_check_dim_normalizes(dim, ndim, expected):
    assert check_dim(dim, ndim) == expected


def test_check_dim_error_is_both_value_and_index_error():
    with pytest.raises(DimensionError, match=r"dim must be in \[-3, 2\] for a 3-D input, got 3"):
        check_dim(3, 3)
    assert issubclass(DimensionError, ValueError) and issubclass(DimensionError, IndexError)
    with pytest.raises(TypeError, match="dim must be an int, got bool"):
        check_dim(True, 2)


def test_check_real_bounds():
    assert check_real(2, "lr", min_value=0.0) == 2.0
    with pytest.raises(ValueError, match=r"p must be < 1\.0, got 1\.0"):
        check_real(1.0, "p", min_value=0.0, max_value=1.0, allow_max=False)
    with pytest.raises(ValueError, match=r"lr must be > 0\.0, got 0\.0"):
        check_real(0.0, "lr", min_value=0.0, allow_min=False)
    with pytest.raises(ValueError, match=r"lr must be <= 1\.0, got 2\.0"):
        check_real(2.0, "lr", max_value=1.0)
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        check_real("0.1", "lr")
    with pytest.raises(ValueError, match="lr must be finite, got inf"):
        check_real(float("inf"), "lr")


def test_check_choice():
    assert check_choice("sum", "reduction", ("mean", "sum")) == "sum"
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum'; got 'avg'"):
        check_choice("avg", "reduction", ("mean", "sum"))


def test_check_int_one_int_or_a_tuple_of_them():
    assert check_int(3, "k") == 3 and check_int(0, "p", 0) == 0
    assert check_int(3, "k", size=2) == (3, 3) and check_int((2,), "k", size=2) == (2, 2)
    assert check_int([1, 4], "k", size=2) == (1, 4) and check_int(5, "k", size=1) == (5,)
    pairs = "or a tuple of 2 of them"
    for value, size, message in [(0, None, "k must be a positive int, got 0"),
                                 (True, None, "k must be a positive int, got True"),
                                 ((1, 0), 2, rf"k must be a positive int {pairs}, got \(1, 0\)"),
                                 ((1, 2, 3), 2, pairs), ((1, 2), 1, "k must be a positive int, got"),
                                 ((1, 2.0), 2, pairs), ("3", 2, pairs), ((1, False), 2, pairs)]:
        with pytest.raises(ValueError, match=message):
            check_int(value, "k", size=size)
    with pytest.raises(ValueError, match="p must be a non-negative int or a tuple of 2 of them, got -1"):
        check_int(-1, "p", 0, size=2)


def test_check_ids_returns_int64_ids_of_the_given_rank_and_names_the_argument_otherwise():
    ids = torch.tensor([[1, 2], [3, 4]])
    assert check_ids(ids, dim=2) is ids
    with pytest.raises(TypeError, match=r"^ids must be a 1-D int64 tensor of character ids, "
                                        r"got torch\.int64 of shape \(2, 2\)$"):
        check_ids(ids)
    with pytest.raises(TypeError, match=r"^prompt must be a 1-D int64 tensor of character ids, "
                                        r"got torch\.float32"):
        check_ids(torch.ones(3), "prompt")
    with pytest.raises(TypeError, match=r"got list$"):
        check_ids([1, 2])


def test_check_optimizer_returns_the_optimizer_and_names_the_argument_otherwise():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert check_optimizer(opt) is opt
    with pytest.raises(TypeError, match=r"^optimizer must be a torch\.optim\.Optimizer .*got list$"):
        check_optimizer([opt])
    with pytest.raises(TypeError, match=r"^opt must be .*got str$"):
        check_optimizer("sgd", "opt")
