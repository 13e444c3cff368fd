"""Shared test helpers: hypothesis settings and random tensors of random shapes."""

from __future__ import annotations

import os

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "course",
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: a red test is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))
torch.set_num_threads(2)

DTYPES = (torch.float32, torch.float64)
# Tolerances for comparing with torch: float32 ops are reassociated differently, float64 not much.
TOL = {torch.float32: {"rtol": 1e-5, "atol": 1e-6}, torch.float64: {"rtol": 1e-10, "atol": 1e-12}}

shapes = st.lists(st.integers(1, 6), min_size=0, max_size=4).map(tuple)
seeds = st.integers(0, 2**31 - 1)
dtypes = st.sampled_from(DTYPES)


def random_tensor(shape: tuple[int, ...], dtype: torch.dtype, seed: int, scale: float = 3.0):
    """A reproducible tensor of the given shape, with values spread over about [-3s, 3s]."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).mul(scale).to(dtype)


def assert_same_values_and_gradients(fast, clear, tensors, grad_seed: int, **tol) -> None:
    """``fast(*tensors)`` equals ``clear(*tensors)``, and so do the gradients of a random weighting
    of the output with respect to every tensor that is not None (None is passed through)."""
    results = []
    for fn in (fast, clear):
        leaves = [t.detach().clone().requires_grad_(True) if t is not None else None for t in tensors]
        out = fn(*leaves)
        g = random_tensor(out.shape, out.dtype, grad_seed, scale=1.0)
        results.append((out.detach(), torch.autograd.grad(out, [t for t in leaves if t is not None], g)))
    (fast_out, fast_grads), (clear_out, clear_grads) = results
    torch.testing.assert_close(fast_out, clear_out, **tol)
    assert len(fast_grads) == len(clear_grads) == sum(t is not None for t in tensors)
    for a, e in zip(fast_grads, clear_grads, strict=True):
        torch.testing.assert_close(a, e, **tol)
