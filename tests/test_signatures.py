"""Every nnbasics class and function that mirrors a torch one has torch's signature (issue 21 item 4).

A reader who knows ``torch.nn.functional.cross_entropy`` knows ``nnbasics.losses.cross_entropy``, and a
test can swap one for the other, so the positional parameters (names, order, defaults) must be torch's.
Two checks per twin:

* ``test_positional_parameters_are_torchs``: nnbasics' positional parameters are the first ones of
  torch's (after dropping ``IGNORED``), name for name and default for default. A positional call that
  nnbasics accepts therefore means the same thing in torch.
* ``test_every_torch_argument_exists``: every parameter of torch's (after ``IGNORED``) exists in
  nnbasics, so a call that works in torch works here. Arguments still missing are strict xfails
  naming the helper adding them.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
import torch
import torch.nn.functional as F

MODULES = ["activations", "layers", "init", "losses", "gradcheck", "training", "optim", "optim.lr_scheduler",
           "regularization", "conv", "recurrent", "capstone", "utils", "attention"]

# torch parameters nnbasics leaves out on purpose, with the reason: never part of a twin's check.
IGNORED = {
    "size_average": "deprecated in torch since 0.4 in favour of reduction",
    "reduce": "deprecated in torch since 0.4 in favour of reduction",
    "_stacklevel": "torch-internal (warning stack level)",
    "foreach": "torch's choice of kernel; nnbasics has one (the clear) implementation",
    "fused": "torch's choice of kernel; nnbasics has one (the clear) implementation",
    "capturable": "CUDA-graph capture; nnbasics runs on the CPU",
    "differentiable": "autograd through the optimizer step; not taught",
}

# nnbasics parameters torch does not have, with the reason (they come after torch's, keyword-friendly).
EXTRA = {
    ("regularization", "Dropout", "scaling"): "the chapter compares inverted and classic dropout",
    ("regularization", "Dropout2d", "scaling"): "the chapter compares inverted and classic dropout",
    ("regularization", "dropout", "scaling"): "the chapter compares inverted and classic dropout",
    ("regularization", "dropout2d", "scaling"): "the chapter compares inverted and classic dropout",
    ("regularization", "batch_norm", "num_batches_tracked"): "lets momentum=None (cumulative average) "
                                                            "work in the functional form",
}

# torch's C builtins have no inspect.signature: their documented signatures, written out.
_T = torch.Tensor
BUILTIN_SIGNATURES = {
    "gelu": "input, approximate='none'",
    "softplus": "input, beta=1.0, threshold=20.0",
    "conv1d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "conv2d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "avg_pool2d": "input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
                  "divisor_override=None",
    "max_pool2d": "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                  "return_indices=False",
    "RNN": "input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, "
           "dropout=0.0, bidirectional=False, device=None, dtype=None",
    "LSTM": "input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, "
            "bidirectional=False, proj_size=0, device=None, dtype=None",
    "GRU": "input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, "
           "bidirectional=False, device=None, dtype=None",
    "scaled_dot_product_attention": "query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, "
                                    "scale=None, enable_gqa=False",
}


def _parse(text: str) -> inspect.Signature:
    namespace: dict = {}
    exec(f"def f({text}): pass", namespace)  # a fixed string from the table above
    return inspect.signature(namespace["f"])


def torch_twin(module: str, name: str, obj: object):
    """The torch object ``nnbasics.<module>.<name>`` mirrors, or None."""
    if module in ("optim", "optim.lr_scheduler"):
        places = [torch.optim, torch.optim.lr_scheduler]
    elif module == "init":
        places = [torch.nn.init]
    elif module == "gradcheck":
        places = [torch.autograd]
    elif inspect.isclass(obj):
        places = [torch.nn]
    else:
        places = [F, torch.nn.utils]
    for place in places:
        if hasattr(place, name):
            return getattr(place, name)
    return None


def twins():
    found = []
    for module in MODULES:
        mod = importlib.import_module(f"nnbasics.{module}")
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj) and torch_twin(module, name, obj) is not None:
                found.append((module, name))
    return found


TWINS = twins()


def signatures(module: str, name: str):
    obj = getattr(importlib.import_module(f"nnbasics.{module}"), name)
    twin = torch_twin(module, name, obj)
    ours = inspect.signature(obj)
    theirs = _parse(BUILTIN_SIGNATURES[name]) if name in BUILTIN_SIGNATURES else inspect.signature(twin)
    return ours, theirs


def positional(sig: inspect.Signature) -> list[tuple[str, object]]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [(p.name, p.default) for p in sig.parameters.values() if p.kind in kinds and p.name not in IGNORED]


def test_every_mirrored_name_is_checked():
    names = {name for _, name in TWINS}
    # a sample of each kind of twin: if the lookup broke, these would disappear
    assert {"cross_entropy", "CrossEntropyLoss", "Adam", "StepLR", "kaiming_uniform_", "conv2d",
            "MaxPool2d", "LSTM", "clip_grad_norm_", "gradcheck", "Linear", "batch_norm",
            "scaled_dot_product_attention", "MultiheadAttention"} <= names
    assert len(TWINS) >= 80


# Positional differences still to fix, by owner (strict: the test fails once they are fixed).
POSITIONAL_KNOWN: dict[tuple[str, str], str] = {}


def _marks(table, key, strict=True):
    return [pytest.mark.xfail(strict=strict, reason=table[key])] if key in table else []


def _positional_marks(key):
    return _marks(POSITIONAL_KNOWN, key)


@pytest.mark.parametrize(("module", "name"), [pytest.param(m, n, marks=_positional_marks((m, n)))
                                              for m, n in TWINS], ids=[f"{m}.{n}" for m, n in TWINS])
def test_positional_parameters_are_torchs(module, name):
    ours, theirs = signatures(module, name)
    mine = [(n, d) for n, d in positional(ours) if (module, name, n) not in EXTRA]
    torchs = positional(theirs)
    assert mine == torchs[: len(mine)], f"nnbasics {ours}\n torch {theirs}"
    # an extra nnbasics parameter comes after every torch parameter nnbasics has
    extras = [n for n, _ in positional(ours) if (module, name, n) in EXTRA]
    assert all(n not in dict(torchs) for n in extras)


# torch arguments nnbasics does not have yet, by owner (strict xfail: fails once added).
MISSING_KNOWN = {
}


def _missing_marks(key):
    return _marks(MISSING_KNOWN, key)


@pytest.mark.parametrize(("module", "name"), [pytest.param(m, n, marks=_missing_marks((m, n)))
                                              for m, n in TWINS], ids=[f"{m}.{n}" for m, n in TWINS])
def test_every_torch_argument_exists(module, name):
    ours, theirs = signatures(module, name)
    missing = [n for n in theirs.parameters if n not in ours.parameters and n not in IGNORED
               and theirs.parameters[n].kind not in (inspect.Parameter.VAR_POSITIONAL,
                                                     inspect.Parameter.VAR_KEYWORD)]
    assert not missing, f"nnbasics.{module}.{name} lacks torch's {missing}"
    for n, p in theirs.parameters.items():  # the same default where both have the argument
        if n in ours.parameters and n not in IGNORED:
            mine = ours.parameters[n].default
            assert mine == p.default, f"{n}: nnbasics default {mine!r}, torch's {p.default!r}"
