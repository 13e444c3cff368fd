"""nbval plugin: a cell may declare how far its printed numbers may move on another CPU.

Load it with ``pytest -p nnbasics_course.nbval_tolerance --nbval ...`` (the Makefile does).

Most cells print exact things (counts, shapes, worked examples) or round-off as a bound, and nbval
compares them character for character. A few cells print the result of a training run, which a
different CPU (other vector instructions, another order of float sums) moves in the last digits or,
for chaotic runs, by a fraction of a percentage point. Such a cell declares its tolerance in its
metadata, with the reason a reader would accept::

    "nbval-tolerance": {"atol": 1.5, "reason": "test accuracy (%) after 20 epochs of SGD"}

(``rtol`` may be given too: a number passes when ``|test - ref| <= atol + rtol * |ref|``.) For such a
cell, the text of every output is split into numbers and the words between them: the words must be
identical (runs of spaces are compared as one space, so right-aligned columns may shift), and every
number with a decimal point or an exponent must lie within the tolerance of the stored one. Integers
(counts, epochs, shapes) are still compared exactly unless ``"integers": true`` is declared. Every
other cell is compared exactly, as nbval does.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import nbval.plugin

KEY = "nbval-tolerance"
# A number as Python, NumPy and torch print it: 12, -0.5, 1.2e-06, 75.4, nan, inf (not inside words).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w)(?!\.\d)"
                    r"|(?<!\w)[-+]?(?:nan|inf)(?!\w)")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Tolerance:
    """How far a cell's printed decimal numbers may move: ``|test - ref| <= atol + rtol * |ref|``."""

    atol: float = 0.0
    rtol: float = 0.0
    integers: bool = False
    reason: str = ""

    @classmethod
    def from_metadata(cls, metadata: dict) -> Tolerance | None:
        """The cell's declared tolerance, or None; a declaration without a reason is an error."""
        spec = metadata.get(KEY)
        if spec is None:
            return None
        if not isinstance(spec, dict):
            raise ValueError(f"{KEY} must be a mapping like {{'atol': 1.0, 'reason': '...'}}, got {spec!r}")
        unknown = set(spec) - {"atol", "rtol", "integers", "reason"}
        if unknown:
            raise ValueError(f"{KEY}: unknown keys {sorted(unknown)}; expected atol, rtol, integers, reason")
        if not str(spec.get("reason", "")).strip():
            raise ValueError(f"{KEY} needs a 'reason' saying why this cell's numbers vary")
        tol = cls(float(spec.get("atol", 0.0)), float(spec.get("rtol", 0.0)),
                  bool(spec.get("integers", False)), str(spec["reason"]))
        if tol.atol < 0 or tol.rtol < 0 or (tol.atol == 0 and tol.rtol == 0):
            raise ValueError(f"{KEY}: atol and rtol must be >= 0 and not both 0, got {spec!r}")
        return tol

    def _is_exact(self, token: str) -> bool:
        return not self.integers and re.fullmatch(r"[-+]?\d+", token) is not None

    def compare(self, ref: str, test: str) -> list[str]:
        """The differences that exceed this tolerance, as readable lines (empty: the texts agree)."""
        ref_words, ref_numbers = _split(ref)
        test_words, test_numbers = _split(test)
        if ref_words != test_words or len(ref_numbers) != len(test_numbers):
            return ["the text around the numbers differs (only numbers may move within the tolerance)"]
        problems = []
        for i, (r, t) in enumerate(zip(ref_numbers, test_numbers, strict=True)):
            if r == t:
                continue
            if self._is_exact(r) or self._is_exact(t):
                problems.append(f"number {i + 1}: integer {t!r} printed, {r!r} stored (integers are exact)")
                continue
            a, b = float(t), float(r)
            if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
                problems.append(f"number {i + 1}: {t!r} printed, {r!r} stored")
            elif abs(a - b) > self.atol + self.rtol * abs(b):
                problems.append(f"number {i + 1}: {t} printed, {r} stored: |difference| {abs(a - b):.3g} "
                                f"> atol {self.atol:g} + rtol {self.rtol:g} x |stored|")
        return problems


def _split(text: str) -> tuple[list[str], list[str]]:
    """Words between numbers (spaces collapsed) and the numbers, in order."""
    numbers = NUMBER.findall(text)
    words = [SPACES.sub(" ", w).strip() for w in NUMBER.split(text)]
    return words, numbers


def _texts(outputs: list, skip: tuple) -> list[tuple[str, str]]:
    """(key, text) for every compared text field of a list of outputs, as nbval flattens them."""
    found = []
    for out in outputs:
        for key, value in out.items():
            if key in skip:
                continue
            if key == "data":
                found += [(k, v) for k, v in value.items() if k not in skip and isinstance(v, str)]
            elif isinstance(value, str):
                found.append((key, value))
    return found


VEGALITE = "application/vnd.vegalite.v5+json"


def compare_specs(ref, test, digits: int, path: str = "spec", atol: float = 0.0,
                  rtol: float = 0.0) -> list[str]:
    """Differences between two explorers' Vega-Lite specifications (nnbasics.explorer).

    Their numbers were rounded to ``digits`` significant digits; another CPU may round the last
    digit the other way, so two numbers agree when they differ by at most one unit in that digit.
    An explorer may declare a tolerance (``atol``, ``rtol``, with its reason) for numbers that move
    more. Everything else (structure, strings, integers, the controls) is compared exactly.
    """
    if isinstance(ref, dict) and isinstance(test, dict):
        if ref.keys() != test.keys():
            return [f"{path}: keys {sorted(test)} printed, {sorted(ref)} stored"]
        return [p for k in ref for p in compare_specs(ref[k], test[k], digits, f"{path}.{k}", atol, rtol)]
    if isinstance(ref, list) and isinstance(test, list):
        if len(ref) != len(test):
            return [f"{path}: {len(test)} items printed, {len(ref)} stored"]
        return [p for i, (r, t) in enumerate(zip(ref, test, strict=True))
                for p in compare_specs(r, t, digits, f"{path}[{i}]", atol, rtol)]
    if type(ref) is float and type(test) is float and ref != test:
        unit = 10.0 ** (math.floor(math.log10(max(abs(ref), abs(test)))) - digits + 1)
        if abs(ref - test) <= max(unit * (1 + 1e-9), atol + rtol * abs(ref)):
            return []
    if ref != test or type(ref) is not type(test):
        return [f"{path}: {test!r} printed, {ref!r} stored"]
    return []


def _compare_explorers(self, test, ref, skip_compare) -> bool:
    """The cell's explorer specifications within their rounding; every other output exactly."""
    skip = tuple(skip_compare or self.parent.skip_compare)
    ok = _exact_compare(self, test, ref, (*skip, VEGALITE))
    traceback = list(self.comparison_traceback or [])
    ref_specs = [o["data"][VEGALITE] for o in ref if VEGALITE in o.get("data", {})]
    test_specs = [o["data"][VEGALITE] for o in test if VEGALITE in o.get("data", {})]
    if len(ref_specs) != len(test_specs):
        traceback.append(f"{len(test_specs)} explorer outputs printed, {len(ref_specs)} stored")
        ok = False
    for r, t in zip(ref_specs, test_specs, strict=False):
        meta = r.get("usermeta", {}).get("nnbasics", {})
        digits, tol = meta.get("digits", 17), meta.get("tolerance") or {}
        problems = compare_specs(r, t, digits, atol=tol.get("atol", 0.0), rtol=tol.get("rtol", 0.0))
        if problems:
            ok = False
            declared = f" or its declared tolerance ({tol['reason']})" if tol else ""
            traceback.append(f"explorer data outside one unit in its last ({digits}th) significant digit"
                             f"{declared}, {len(problems)} differences; the first ones:")
            traceback += [f"  {p}" for p in problems[:10]]
    self.comparison_traceback = traceback
    return ok


_exact_compare = nbval.plugin.IPyNbCell.compare_outputs


def compare_outputs(self, test, ref, skip_compare=None):
    """nbval's comparison, except that a cell with a declared tolerance compares numbers within it,
    and an explorer's data is compared within its rounding (compare_specs)."""
    if any(VEGALITE in o.get("data", {}) for o in ref):
        return _compare_explorers(self, test, ref, skip_compare)
    tol = Tolerance.from_metadata(self.cell.metadata)
    if tol is None:
        return _exact_compare(self, test, ref, skip_compare)
    skip = skip_compare or self.parent.skip_compare
    test = nbval.plugin.transform_streams_for_comparison(test)
    ref = nbval.plugin.transform_streams_for_comparison(ref)
    test_texts = [(k, self.sanitize(v)) for k, v in _texts(test, skip)]
    ref_texts = [(k, self.sanitize(v)) for k, v in _texts(ref, skip)]
    self.comparison_traceback = []
    if [k for k, _ in test_texts] != [k for k, _ in ref_texts]:
        self.comparison_traceback.append(
            f"output fields differ: stored {[k for k, _ in ref_texts]}, printed {[k for k, _ in test_texts]}")
        return False
    ok = True
    for (key, r), (_, t) in zip(ref_texts, test_texts, strict=True):
        problems = tol.compare(r, t)
        if problems:
            ok = False
            self.comparison_traceback.append(f"'{key}' outside the declared {KEY} ({tol.reason}):")
            self.comparison_traceback += [f"  {p}" for p in problems]
            self.comparison_traceback += ["  stored:", _indent(r), "  printed:", _indent(t)]
    return ok


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


nbval.plugin.IPyNbCell.compare_outputs = compare_outputs
