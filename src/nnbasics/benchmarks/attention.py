"""Benchmark: forward + backward of nnbasics.attention against torch's, in the same run.

Run ``python -m nnbasics.benchmarks.attention`` (``--quick`` for tiny sizes). Two ops, each on the
same inputs and threads as its torch twin: :func:`nnbasics.attention.scaled_dot_product_attention`
against :func:`torch.nn.functional.scaled_dot_product_attention` (causal, the language model's
case, and unmasked), and :class:`nnbasics.attention.MultiheadAttention` against
:class:`torch.nn.MultiheadAttention` with the same weights (self-attention with a causal mask,
``need_weights=False``, the setting the Transformer block uses).

nnbasics computes the whole $L \\times S$ weight matrix and saves it for the backward pass; for
4-D inputs torch can pick a fused CPU kernel (flash attention) that works block by block.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nnbasics import attention
from nnbasics.benchmarks import Timing, compare, main

# (name, (batch, heads, length, head size), causal)
CASES = [
    ("causal, batch 32, 4 heads, length 128, head 16", (32, 4, 128, 16), True),
    ("batch 16, 8 heads, length 256, head 64", (16, 8, 256, 64), False),
]
QUICK = [("causal, batch 2, 2 heads, length 8, head 4", (2, 2, 8, 4), True)]
# (name, batch, length, embed_dim, heads)
MHA_CASES = [("MHA causal, batch 32, length 128, embed 64, 4 heads", 32, 128, 64, 4)]
MHA_QUICK = [("MHA causal, batch 2, length 8, embed 8, 2 heads", 2, 8, 8, 2)]


def _forward_backward(op, *inputs):
    def run():
        leaves = [t.detach().requires_grad_(True) for t in inputs]
        op(*leaves).sum().backward()

    return run


def _self_attention(module: nn.Module, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return module(x, x, x, need_weights=False, attn_mask=mask, is_causal=True)[0]


def run(quick: bool = False, repeat: int = 5, threads: int = 2) -> list[Timing]:
    """Time every case; return one ``Timing`` per case, SDPA first, then multi-head attention."""
    torch.manual_seed(0)
    timings = []
    for name, shape, causal in QUICK if quick else CASES:
        q, k, v = torch.randn(shape), torch.randn(shape), torch.randn(shape)
        ours = _forward_backward(
            lambda q, k, v, c=causal: attention.scaled_dot_product_attention(q, k, v, is_causal=c), q, k, v)
        theirs = _forward_backward(
            lambda q, k, v, c=causal: F.scaled_dot_product_attention(q, k, v, is_causal=c), q, k, v)
        timings.append(compare(f"sdpa {name}", ours, theirs, repeat=repeat, threads=threads))
    for name, batch, length, embed_dim, heads in MHA_QUICK if quick else MHA_CASES:
        theirs_mha = nn.MultiheadAttention(embed_dim, heads, batch_first=True)
        ours_mha = attention.MultiheadAttention(embed_dim, heads, batch_first=True)
        ours_mha.load_state_dict(theirs_mha.state_dict())
        x = torch.randn(batch, length, embed_dim)
        mask = torch.ones(length, length, dtype=torch.bool).triu(1)

        ours, theirs = (_forward_backward(lambda x, m=module, mask=mask: _self_attention(m, x, mask), x)
                        for module in (ours_mha, theirs_mha))
        timings.append(compare(name, ours, theirs, repeat=repeat, threads=threads))
    return timings


if __name__ == "__main__":
    main(run, __doc__)
