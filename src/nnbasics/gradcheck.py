"""A numerical gradient checker, written from the definition of the derivative.

Taught in the chapter "Gradient descent and backpropagation". It compares the gradients a
function's backward pass computes (the *analytic* Jacobian) with central differences
(the *numeric* Jacobian), entry by entry, and reports the worst entries, so a wrong backward
pass shows where it is wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from nnbasics._checks import check_int, check_real

__all__ = ["GradcheckError", "GradcheckResult", "Mismatch", "check_gradients", "gradcheck",
           "numerical_jacobian"]


class GradcheckError(AssertionError):
    """The analytic and numeric gradients disagree; the message is the report."""


@dataclass(frozen=True)
class Mismatch:
    """One Jacobian entry: d output[out_index] / d inputs[input_number][in_index].

    :param input_number: the position of the input in ``inputs``.
    :param in_index: the entry's index in that input.
    :param out_index: the entry's index in the output.
    :param analytic: the derivative the backward pass computed.
    :param numeric: the central-difference estimate of it.
    """

    input_number: int
    in_index: tuple[int, ...]
    out_index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def rel_error(self) -> float:
        r"""$|a - n| / \max(|a| + |n|, 10^{-12})$, as in CS231n."""
        return abs(self.analytic - self.numeric) / max(abs(self.analytic) + abs(self.numeric), 1e-12)


@dataclass
class GradcheckResult:
    """What :func:`check_gradients` found: pass/fail, the largest errors, the worst entries.

    :param passed: every entry within the tolerance.
    :param max_abs_error: the largest $|a - n|$ over every Jacobian entry.
    :param max_rel_error: the largest :attr:`Mismatch.rel_error` over every Jacobian entry.
    :param worst: the entries with the largest absolute error, largest first.
    """

    passed: bool
    max_abs_error: float
    max_rel_error: float
    worst: list[Mismatch] = field(default_factory=list)

    def report(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"gradient check {verdict}: max |analytic - numeric| = {self.max_abs_error:.2e}, "
                 f"max relative error = {self.max_rel_error:.2e}"]
        if self.worst:
            lines.append("worst entries (input, index -> output index: analytic vs numeric, rel. error):")
            lines += [f"  input {m.input_number} {list(m.in_index)} -> output {list(m.out_index)}: "
                      f"{m.analytic:+.6e} vs {m.numeric:+.6e}  ({m.rel_error:.1e})" for m in self.worst]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def _prepare(fn: object, inputs: object, name: str = "fn") -> tuple[Callable, tuple[Tensor, ...]]:
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)  # type: ignore[arg-type]
    if not inputs or not all(isinstance(t, Tensor) for t in inputs):
        raise TypeError("inputs must be a tensor or a sequence of tensors")
    if not any(t.requires_grad for t in inputs):
        raise ValueError("at least one input must have requires_grad=True")
    for number, t in enumerate(inputs):
        shared = any(step == 0 and size > 1 for step, size in zip(t.stride(), t.shape, strict=True))
        if t.requires_grad and shared:
            raise ValueError(f"inputs[{number}] is expanded (a dimension with stride 0): its entries share "
                             f"memory, so one cannot be nudged alone; pass a .clone() of it")
        if t.requires_grad and t.dtype != torch.float64:
            raise TypeError(f"check gradients in float64 (got {t.dtype}): central differences in "
                            f"float32 are too coarse to tell a right gradient from a wrong one")
    return fn, inputs


def _output(fn: Callable, inputs: Sequence[Tensor]) -> Tensor:
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"fn must return a tensor, got {type(out).__name__}")
    return out


def numerical_jacobian(fn: Callable, inputs: Sequence[Tensor], eps: float = 1e-6) -> list[Tensor]:
    r"""One Jacobian per input requiring grad: ``(*in) -> (*out, *in)``, for ``fn`` ``(*in) -> (*out)``.

    Central differences:
    $\dfrac{\partial f}{\partial x_j} \approx \dfrac{f(x + \epsilon e_j) - f(x - \epsilon e_j)}{2\epsilon}$,
    with an error of order $\epsilon^2$ (one-sided differences: order $\epsilon$).

    :param fn: the function to differentiate; ``fn(*inputs)`` returns one tensor.
    :param inputs: the point $x$: float64 tensors (those with ``requires_grad`` are nudged).
    :param eps: the step $\epsilon > 0$.
    """
    eps = check_real(eps, "eps", min_value=0.0, allow_min=False)
    fn, inputs = _prepare(fn, inputs)
    with torch.no_grad():
        out_shape = _output(fn, inputs).shape
        jacobians = []
        for t in inputs:
            if not t.requires_grad:
                continue
            jac = torch.zeros((*out_shape, t.numel()), dtype=torch.float64)
            data = t.detach()  # shares t's storage: nudging data nudges t
            for j, index in enumerate(itertools.product(*map(range, t.shape))):  # row-major order
                original = data[index].item()
                data[index] = original + eps
                plus = _output(fn, inputs).double()
                data[index] = original - eps
                minus = _output(fn, inputs).double()
                data[index] = original
                jac[..., j] = (plus - minus) / (2 * eps)
            jacobians.append(jac.reshape((*out_shape, *t.shape)))
    return jacobians


def _analytic_jacobian(fn: Callable, inputs: Sequence[Tensor]) -> list[Tensor]:
    wrt = [t for t in inputs if t.requires_grad]
    out = _output(fn, inputs)
    jacobians = [torch.zeros((*out.shape, *t.shape), dtype=torch.float64) for t in wrt]
    for i in range(out.numel()):
        seed = torch.zeros(out.numel(), dtype=out.dtype)
        seed[i] = 1.0
        grads = torch.autograd.grad(out, wrt, seed.reshape(out.shape), retain_graph=True, allow_unused=True)
        index = torch.unravel_index(torch.tensor(i), out.shape) if out.dim() else ()
        for jac, grad in zip(jacobians, grads, strict=True):
            jac[tuple(int(k) for k in index)] = 0.0 if grad is None else grad.double()
    return jacobians


def check_gradients(fn: Callable, inputs: Tensor | Sequence[Tensor], eps: float = 1e-6,
                    atol: float = 1e-5, rtol: float = 1e-3, n_worst: int = 5) -> GradcheckResult:
    r"""Compare the analytic Jacobian of ``fn`` at ``inputs`` with central differences.

    An entry passes if $|a - n| \le \text{atol} + \text{rtol}\,|n|$ (torch's rule); the result
    lists the entries with the largest absolute error. For ``fn`` ``(*in) -> (*out)`` the
    Jacobians compared are ``(*out, *in)``, one per input that requires grad.

    :param fn: the function to check; ``fn(*inputs)`` returns one tensor.
    :param inputs: one tensor or a sequence of them, float64 where they require grad.
    :param eps: the finite-difference step $\epsilon > 0$.
    :param atol: the absolute tolerance.
    :param rtol: the relative tolerance.
    :param n_worst: how many of the worst entries (>= 0) the result lists.
    """
    check_int(n_worst, "n_worst", min_value=0)
    fn, inputs = _prepare(fn, inputs)  # numerical_jacobian checks eps
    analytic = _analytic_jacobian(fn, inputs)
    numeric = numerical_jacobian(fn, inputs, eps)
    entries, passed, max_abs, max_rel = [], True, 0.0, 0.0
    numbers = [k for k, t in enumerate(inputs) if t.requires_grad]
    for number, a_jac, n_jac in zip(numbers, analytic, numeric, strict=True):
        diff = (a_jac - n_jac).abs()
        passed &= bool((diff <= atol + rtol * n_jac.abs()).all())
        max_abs = max(max_abs, diff.max().item() if diff.numel() else 0.0)
        rel = diff / (a_jac.abs() + n_jac.abs()).clamp(min=1e-12)  # Mismatch.rel_error, every entry
        max_rel = max(max_rel, rel.max().item() if rel.numel() else 0.0)
        out_dims = a_jac.dim() - inputs[number].dim()
        for flat in diff.flatten().argsort(descending=True)[:n_worst].tolist():
            index = tuple(int(k) for k in torch.unravel_index(torch.tensor(flat), diff.shape))
            entries.append(Mismatch(number, index[out_dims:], index[:out_dims],
                                    a_jac[index].item(), n_jac[index].item()))
    entries.sort(key=lambda m: abs(m.analytic - m.numeric), reverse=True)
    return GradcheckResult(passed, max_abs, max_rel, entries[:n_worst])


# torch's options for what nnbasics' checker does not do, with the value that means "off".
_TORCH_ONLY_OPTIONS = {"check_undefined_grad": True, "check_grad_dtypes": False, "check_batched_grad": False,
                       "check_batched_forward_grad": False, "check_forward_ad": False,
                       "check_backward_ad": True, "fast_mode": False, "masked": None}


def gradcheck(func: Callable, inputs: Tensor | Sequence[Tensor], *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True, fast_mode: bool = False,
              masked: bool | None = None) -> bool:
    """Like :func:`torch.autograd.gradcheck`: True if the gradients agree; otherwise raise
    :class:`GradcheckError` with the report (or return False with ``raise_exception=False``).

    torch's other options (forward-mode AD, batched gradients, fast mode, masked) are not part
    of this checker: only their default ("off") values are accepted.

    :param func: the function to check; ``func(*inputs)`` returns one tensor.
    :param inputs: a tensor or a sequence of them, float64 where they require grad.
    :param eps: the finite-difference step, as in :func:`check_gradients`.
    :param atol: the absolute tolerance, as in :func:`check_gradients`.
    :param rtol: the relative tolerance, as in :func:`check_gradients`.
    :param raise_exception: raise :class:`GradcheckError` on failure (else return False).
    :param nondet_tol: accepted and unused (the analytic Jacobian is computed once).
    :param check_undefined_grad: torch's option; only True is accepted.
    :param check_grad_dtypes: torch's option; only False is accepted.
    :param check_batched_grad: torch's option; only False is accepted.
    :param check_batched_forward_grad: torch's option; only False is accepted.
    :param check_forward_ad: torch's option; only False is accepted.
    :param check_backward_ad: torch's option; only True is accepted.
    :param fast_mode: torch's option; only False is accepted.
    :param masked: torch's option; only None is accepted.
    """
    given = {"check_undefined_grad": check_undefined_grad, "check_grad_dtypes": check_grad_dtypes,
             "check_batched_grad": check_batched_grad,
             "check_batched_forward_grad": check_batched_forward_grad,
             "check_forward_ad": check_forward_ad, "check_backward_ad": check_backward_ad,
             "fast_mode": fast_mode, "masked": masked}
    for name, value in given.items():
        if value != _TORCH_ONLY_OPTIONS[name]:
            raise ValueError(f"{name}={value!r} is not supported by nnbasics' gradcheck (only "
                             f"{_TORCH_ONLY_OPTIONS[name]!r}); use torch.autograd.gradcheck for it")
    check_real(nondet_tol, "nondet_tol", min_value=0.0)
    _prepare(func, inputs, "func")
    result = check_gradients(func, inputs, eps, atol, rtol)
    if not result.passed and raise_exception:
        raise GradcheckError(result.report())
    return result.passed
