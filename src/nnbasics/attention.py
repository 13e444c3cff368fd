r"""Attention and the Transformer block: scaled dot-product attention with a hand-written backward,
multi-head attention, the sinusoidal positional encoding, and a causal character language model.

Taught in the chapter "Attention and the Transformer block" (``book/attention/attention.ipynb``).

:class:`ScaledDotProductAttentionFunction` is one :class:`torch.autograd.Function`: its forward is
$O = \mathrm{softmax}(s\,QK^\top + M)\,V$ from two matrix products and a stable softmax, and its
backward applies the softmax's Jacobian by hand (the same formula as
``nnbasics.activations.SoftmaxFunction``). :func:`scaled_dot_product_attention` mirrors
:func:`torch.nn.functional.scaled_dot_product_attention` (masks, ``is_causal``, ``scale``,
dropout, ``enable_gqa``), and :class:`MultiheadAttention` mirrors :class:`torch.nn.MultiheadAttention`
(parameter names, masks, returned weights), so a torch module's ``state_dict`` loads into it.

The last part builds a decoder-only Transformer from the library's pieces:
:func:`positional_encoding` and :class:`PositionalEncoding` (Vaswani et al., 2017),
:class:`TransformerEncoderBlock` (pre-norm: $x + \mathrm{MHA}(\mathrm{LN}(x))$, then
$x + \mathrm{MLP}(\mathrm{LN}(x))$, with :class:`~nnbasics.layers.Linear`,
:class:`~nnbasics.regularization.LayerNorm`, :class:`~nnbasics.activations.GELU` and
:class:`~nnbasics.regularization.Dropout`), and :class:`CausalTransformerLM`, a character language
model with the interface of :class:`nnbasics.recurrent.CharLSTM`, so the chapter trains, measures
(:func:`~nnbasics.recurrent.bits_per_char`) and samples (:func:`~nnbasics.recurrent.sample`) both
with the same code.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nnbasics import init
from nnbasics._checks import check_choice, check_ids, check_int, check_real, check_tensor
from nnbasics.activations import GELU, ReLU
from nnbasics.layers import Linear, LinearFunction
from nnbasics.regularization import Dropout, LayerNorm

__all__ = [
    "CausalTransformerLM",
    "MultiheadAttention",
    "PositionalEncoding",
    "ScaledDotProductAttentionFunction",
    "TransformerEncoderBlock",
    "attention_maps",
    "positional_encoding",
    "scaled_dot_product_attention",
]

# --- Scaled dot-product attention: one Function, forward and backward side by side ---------------


def _softmax_rows(scores: Tensor) -> Tensor:
    r"""Softmax along the last dimension, $e^{s_j - m} / \sum_k e^{s_k - m}$ with $m = \max_k s_k$,
    so every exponent is $\le 0$ (safe at scores of $\pm 1000$); ``(*, L, S) -> (*, L, S)``.

    A row whose scores are all $-\infty$ (a query that may attend to no key) gives zeros, not
    $0/0$: that is what torch's ``scaled_dot_product_attention`` returns on the CPU. (This is why
    the row is not ``exp(numerics.log_softmax(...))``: its $-\infty - (-\infty)$ would be NaN.)
    """
    if scores.shape[-1] == 0:  # no keys at all: nothing to normalise (amax refuses an empty dim)
        return scores.clone()
    m = scores.amax(dim=-1, keepdim=True)
    m = torch.where(m == -math.inf, 0.0, m)  # a fully masked row: exp(-inf - 0) = 0 everywhere
    e = torch.exp(scores - m)
    total = e.sum(dim=-1, keepdim=True)  # >= 1 (the max's own term) unless the row is fully masked
    return e / torch.where(total == 0, 1.0, total)


class ScaledDotProductAttentionFunction(torch.autograd.Function):
    r"""$O = A'V$ with $A = \mathrm{softmax}(S)$ along the keys, $S = s\,QK^\top + M$, and
    $A' = A \odot D/(1-p)$ (dropout with keep mask $D$, or $A' = A$).

    ``(*, L, E), (*, S, E), (*, S, E_v) -> (*, L, E_v), (*, L, S)``: the output $O$ and the
    weights $A'$. The batch dimensions $*$ broadcast.

    :param q: the queries $Q$, ``(*, L, E)``.
    :param k: the keys $K$, ``(*, S, E)``.
    :param v: the values $V$, ``(*, S, E_v)``.
    :param mask: the additive mask $M$ (0 where a query may attend, $-\infty$ where not), broadcast
        to ``(*, L, S)``, or None.
    :param keep: the dropout keep mask $D$ of 0/1 (bool), the shape of $A$, or None.
    :param scale: $s$, usually $1/\sqrt{E}$.
    :param p: the dropout probability $p < 1$ that $D$ was drawn with.

    Backward, from $G = \partial L/\partial O$ and $G_A = \partial L/\partial A'$ (the weights may
    be used too): $dV = A'^\top G$; $dA' = G V^\top + G_A$; $dA = dA' \odot D/(1-p)$; the softmax's
    Jacobian row by row, $dS = A \odot (dA - \langle dA, A\rangle)$ (the inner product over the
    keys); $dQ = s\,dS\,K$, $dK = s\,dS^\top Q$, $dM = dS$. Each gradient is summed over the batch
    dimensions its input was broadcast along.
    """

    @staticmethod
    def forward(ctx, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, keep: Tensor | None,
                scale: float, p: float) -> tuple[Tensor, Tensor]:
        scores = scale * (q @ k.transpose(-2, -1))  # (*, L, S)
        if mask is not None:
            scores = scores + mask
        attn = _softmax_rows(scores)
        weights = attn if keep is None else attn * keep / (1.0 - p)
        ctx.save_for_backward(q, k, v, attn, weights, keep)
        ctx.scale, ctx.p = scale, p
        ctx.mask_shape = None if mask is None else mask.shape
        return weights @ v, weights

    @staticmethod
    def backward(ctx, grad_out: Tensor, grad_weights: Tensor):
        q, k, v, attn, weights, keep = ctx.saved_tensors
        d_weights = grad_out @ v.transpose(-2, -1) + grad_weights  # (*, L, S)
        d_attn = d_weights if keep is None else d_weights * keep / (1.0 - ctx.p)
        d_scores = attn * (d_attn - (d_attn * attn).sum(dim=-1, keepdim=True))  # softmax Jacobian
        need = ctx.needs_input_grad
        dq = (ctx.scale * d_scores @ k).sum_to_size(q.shape) if need[0] else None
        dk = (ctx.scale * d_scores.transpose(-2, -1) @ q).sum_to_size(k.shape) if need[1] else None
        dv = (weights.transpose(-2, -1) @ grad_out).sum_to_size(v.shape) if need[2] else None
        d_mask = d_scores.sum_to_size(ctx.mask_shape) if need[3] else None
        return dq, dk, dv, d_mask, None, None, None


def _attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float,
               scale: float | None) -> tuple[Tensor, Tensor]:
    """The output and the weights of attention, from checked inputs and an additive float mask:
    draws the dropout mask and applies :class:`ScaledDotProductAttentionFunction`.
    ``(*, L, E), (*, S, E), (*, S, E_v) -> (*, L, E_v), (*, L, S)``."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    keep = None
    if dropout_p > 0:
        masks = [] if mask is None else [mask.shape[:-2]]
        batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], *masks)  # the weights' batch dims
        keep = torch.rand((*batch, q.shape[-2], k.shape[-2]), dtype=q.dtype, device=q.device) >= dropout_p
    return ScaledDotProductAttentionFunction.apply(q, k, v, mask, keep, scale, dropout_p)


def _as_additive(mask: Tensor, dtype: torch.dtype, attend_if: bool) -> Tensor:
    """A bool mask as 0 / $-\\infty$ in ``dtype`` (0 where ``mask == attend_if``); a float mask as it is."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(mask != attend_if,
                                                                                   -math.inf)
    return mask.to(dtype)


def _check_mask(mask: object, name: str) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or None, got {type(mask).__name__}")
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(f"{name} must be a bool tensor or a floating-point tensor (added to the scores), "
                        f"got dtype {mask.dtype}")
    return mask


def _check_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, *,
                                 scale: float | None = None, enable_gqa: bool = False) -> Tensor:
    r"""Scaled dot-product attention, like :func:`torch.nn.functional.scaled_dot_product_attention`:
    $\mathrm{softmax}\!\left(\dfrac{QK^\top}{\sqrt{E}} + M\right) V$, the softmax over the keys
    (one call of :class:`ScaledDotProductAttentionFunction`).

    ``(*, L, E), (*, S, E), (*, S, E_v) -> (*, L, E_v)``: $L$ queries, $S$ keys and values; the
    batch dimensions $*$ (e.g. ``(N, H)``, batch and heads) broadcast.

    A query whose every key is masked out gets a row of zeros, as torch gives on the CPU (not the
    NaN of $0/0$).

    :param query: $Q$, ``(*, L, E)``.
    :param key: $K$, ``(*, S, E)``.
    :param value: $V$, ``(*, S, E_v)``.
    :param attn_mask: ``(*, L, S)`` or any shape broadcasting to it: a bool mask (True: the query
        may attend to the key) or a float mask $M$, added to the scores (e.g. $-\infty$ to forbid).
    :param dropout_p: the probability $p \in [0, 1)$ of dropping each attention weight (the others
        are scaled by $1/(1-p)$). Applied whenever $p > 0$: pass 0 in evaluation.
    :param is_causal: query $i$ may attend to keys $j \le i$ only (a lower-triangular mask aligned
        at the top left, as torch's); not together with ``attn_mask``.
    :param scale: $s$ replacing $1/\sqrt{E}$, or None.
    :param enable_gqa: grouped-query attention: ``key`` and ``value`` may have fewer heads (dim -3)
        than ``query``, a divisor of its number; each of their heads serves consecutive query heads
        (``repeat_interleave``).
    """
    q, k, v = check_tensor(query, "query"), check_tensor(key, "key"), check_tensor(value, "value")
    if min(q.dim(), k.dim(), v.dim()) < 2:
        raise ValueError(f"query, key and value must be at least 2-D ([..., L, E], [..., S, E], "
                         f"[..., S, E_v]), got {q.dim()}-D, {k.dim()}-D and {v.dim()}-D")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"query, key and value must have the same dtype, got {q.dtype}, {k.dtype} "
                        f"and {v.dtype}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"key must have query's last size E = {q.shape[-1]}, "
                         f"got key of shape {tuple(k.shape)}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"value must have as many rows as key (S = {k.shape[-2]}), "
                         f"got value of shape {tuple(v.shape)}")
    p = check_real(dropout_p, "dropout_p", min_value=0.0, max_value=1.0, allow_max=False)
    if _check_flag(is_causal, "is_causal") and attn_mask is not None:
        raise ValueError("attn_mask must be None when is_causal=True (is_causal is the mask)")
    if scale is not None:
        scale = check_real(scale, "scale")
    if _check_flag(enable_gqa, "enable_gqa"):
        k, v = _repeat_heads(q, k, "key"), _repeat_heads(q, v, "value")
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(f"the batch dimensions of query {tuple(q.shape[:-2])}, key {tuple(k.shape[:-2])} "
                         f"and value {tuple(v.shape[:-2])} must broadcast") from None
    L, S = q.shape[-2], k.shape[-2]
    mask = None
    if is_causal:
        mask = _as_additive(torch.ones(L, S, dtype=torch.bool, device=q.device).tril(), q.dtype, True)
    elif attn_mask is not None:
        mask = _as_additive(_check_mask(attn_mask, "attn_mask"), q.dtype, True)
        scores_shape = (*torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]), L, S)
        try:
            fits = torch.broadcast_shapes(mask.shape, scores_shape) == scores_shape
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(f"attn_mask must broadcast to the scores' shape {scores_shape} (..., L, S), "
                             f"got {tuple(mask.shape)}")
    out, _ = _attention(q, k, v, mask, p, scale)
    return out


def _repeat_heads(q: Tensor, kv: Tensor, name: str) -> Tensor:
    """``kv``'s heads (dim -3) repeated to ``q``'s number, each used by consecutive query heads."""
    if q.dim() < 3 or kv.dim() < 3:
        raise ValueError(f"enable_gqa needs query and {name} with a heads dimension (dim -3), got "
                         f"{q.dim()}-D query and {kv.dim()}-D {name}")
    heads, kv_heads = q.shape[-3], kv.shape[-3]
    if heads % kv_heads:
        raise ValueError(f"enable_gqa: {name}'s number of heads ({kv_heads}) must divide query's ({heads})")
    return kv if kv_heads == heads else kv.repeat_interleave(heads // kv_heads, dim=-3)


# --- Multi-head attention, like torch.nn.MultiheadAttention ---------------------------------------


class MultiheadAttention(nn.Module):
    r"""Multi-head attention, like :class:`torch.nn.MultiheadAttention` (same parameters and names,
    so its ``state_dict`` loads both ways):
    $\mathrm{MHA}(Q, K, V) = [\mathrm{head}_1, \dots, \mathrm{head}_h]\, W_O^\top + b_O$ with
    $\mathrm{head}_i = \mathrm{softmax}\!\big((Q W_{Q,i}^\top)(K W_{K,i}^\top)^\top / \sqrt{d}\big)
    \, V W_{V,i}^\top$ (biases included), $d = \text{embed\_dim} / h$.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)``: ``(L, N, E), (S, N, E_k), (S, N, E_v) -> (L, N, E)``
    (``(N, L, E)`` ... with ``batch_first``; unbatched ``(L, E), (S, E_k), (S, E_v) -> (L, E)``), and
    the attention weights ``(N, L, S)``, or ``(N, h, L, S)`` per head with
    ``average_attn_weights=False`` (unbatched ``(L, S)`` or ``(h, L, S)``), or None with
    ``need_weights=False``. Masks use torch's MHA convention: ``key_padding_mask`` ``(N, S)``
    and ``attn_mask`` ``(L, S)`` or ``(N * h, L, S)``, True (or $-\infty$ in a float mask) where a
    query may **not** attend, float values added to the scores. ``is_causal`` is torch's hint
    that ``attn_mask`` is the causal mask; it needs ``attn_mask``, which is applied as given.

    Two differences from torch, where torch's own code paths disagree with each other:

    * a query with every key masked gets zero weights and a zero head output (what torch gives
      with ``need_weights=False``); torch gives NaN there with ``need_weights=True``, and in its
      inference fast path;
    * with ``is_causal=True``, ``need_weights=False`` and no ``key_padding_mask``, torch replaces
      ``attn_mask`` by its SDPA's own causal mask, which also hides the keys ``add_bias_kv`` and
      ``add_zero_attn`` append; here ``attn_mask`` is applied as given, as torch's other paths do.

    The projections are :class:`~nnbasics.layers.LinearFunction` on torch's packed
    ``in_proj_weight`` $[W_Q; W_K; W_V]$ (``(3E, E)``; ``q_proj_weight``, ``k_proj_weight``,
    ``v_proj_weight`` when ``kdim`` or ``vdim`` differ from ``embed_dim``) and ``in_proj_bias``
    ``(3E,)``, and the :class:`~nnbasics.layers.Linear` layer ``out_proj``; the heads are one call of
    :class:`ScaledDotProductAttentionFunction`, batch and heads as its batch dimensions.

    :param embed_dim: $E$, the size of queries and outputs; a multiple of ``num_heads``.
    :param num_heads: $h$, the number of heads.
    :param dropout: the dropout probability on the attention weights in training, in $[0, 1)$.
    :param bias: learn the projections' biases ``in_proj_bias`` and ``out_proj.bias``.
    :param add_bias_kv: learn one more key and value, ``bias_k`` and ``bias_v`` ``(1, 1, E)``,
        appended to every sequence of keys and values after their projection.
    :param add_zero_attn: append a key and a value of zeros to every head after the projection.
    :param kdim: $E_k$, the size of keys (``embed_dim`` if None).
    :param vdim: $E_v$, the size of values (``embed_dim`` if None).
    :param batch_first: inputs and outputs are ``(N, L, E)`` instead of ``(L, N, E)``.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: object = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        check_int(embed_dim, "embed_dim")
        check_int(num_heads, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        for name, size in (("kdim", kdim), ("vdim", vdim)):
            if size is not None:
                check_int(size, name)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout = check_real(dropout, "dropout", min_value=0.0, max_value=1.0, allow_max=False)
        self.batch_first, self.add_zero_attn = bool(batch_first), bool(add_zero_attn)
        factory = {"device": device, "dtype": dtype}
        # Registered in torch's order, so state_dict lists the same names in the same order.
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **factory))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = nn.Parameter(torch.empty(embed_dim, embed_dim, **factory))
            self.k_proj_weight = nn.Parameter(torch.empty(embed_dim, self.kdim, **factory))
            self.v_proj_weight = nn.Parameter(torch.empty(embed_dim, self.vdim, **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = nn.Parameter(torch.empty(1, 1, embed_dim, **factory))
            self.bias_v = nn.Parameter(torch.empty(1, 1, embed_dim, **factory))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """torch's initialization, in torch's order of random draws: Xavier-uniform projections,
        zero biases, Xavier-normal ``bias_k`` and ``bias_v``."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        query, key = check_tensor(query, "query"), check_tensor(key, "key")
        value = check_tensor(value, "value")
        batched = self._check_shapes(query, key, value, key_padding_mask, attn_mask)
        if _check_flag(is_causal, "is_causal") and attn_mask is None:
            raise ValueError("is_causal=True is a hint that attn_mask is the causal mask: pass that mask "
                             "as attn_mask")
        if not batched:  # one sequence: a batch of one, removed again at the end
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        L, N, _ = query.shape
        S, h, d = key.shape[0], self.num_heads, self.head_dim
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        q = LinearFunction.apply(query, w_q, b_q)  # (L, N, E)
        k = LinearFunction.apply(key, w_k, b_k)  # (S, N, E)
        v = LinearFunction.apply(value, w_v, b_v)
        mask = self._merged_mask(attn_mask, key_padding_mask, L, N, S, q.dtype)  # (N or 1, h or 1, L, S)
        if self.bias_k is not None:  # one more learned key and value, at the end of each sequence
            k = torch.cat([k, self.bias_k.expand(1, N, -1)])
            v = torch.cat([v, self.bias_v.expand(1, N, -1)])
            mask = _one_more_key(mask)
        # (T, N, E) -> (N, h, T, d): batch and heads become the attention's batch dimensions
        q, k, v = (t.reshape(t.shape[0], N, h, d).permute(1, 2, 0, 3) for t in (q, k, v))
        if self.add_zero_attn:  # one more key and value of zeros in every head
            k = torch.cat([k, k.new_zeros(N, h, 1, d)], dim=2)
            v = torch.cat([v, v.new_zeros(N, h, 1, d)], dim=2)
            mask = _one_more_key(mask)
        heads, weights = _attention(q, k, v, mask, self.dropout if self.training else 0.0, None)
        out = self.out_proj(heads.permute(2, 0, 1, 3).reshape(L, N, self.embed_dim))  # heads side by side
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)  # (N, L, S)
        return out, weights if batched else weights.squeeze(0)

    def _check_shapes(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: object,
                      attn_mask: object) -> bool:
        """Whether the input is batched; a ValueError naming the first argument of a wrong shape."""
        if query.dim() not in (2, 3):
            raise ValueError(f"query must be [L, E] (unbatched) or 3-D [L, N, E] ([N, L, E] with "
                             f"batch_first), got shape {tuple(query.shape)}")
        batched = query.dim() == 3
        for name, t in (("key", key), ("value", value)):
            if t.dim() != query.dim():
                raise ValueError(f"{name} must be {query.dim()}-D like query, got shape {tuple(t.shape)}")
        dtype = self.out_proj.weight.dtype
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"{name} must have {size} features in its last dimension, "
                                 f"got shape {tuple(t.shape)}")
            if t.dtype != dtype:
                raise TypeError(f"{name} has dtype {t.dtype} but the MultiheadAttention's weights are "
                                f"{dtype}: convert one of them, e.g. module.to({t.dtype})")
        s, n = (1, 0) if batched and self.batch_first else (0, 1)  # the sequence and batch dims
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"key and value must have the same sequence length and batch size, "
                             f"got shapes {tuple(key.shape)} and {tuple(value.shape)}")
        if batched and key.shape[n] != query.shape[n]:
            raise ValueError(f"key must have query's batch size {query.shape[n]}, "
                             f"got shape {tuple(key.shape)}")
        L, S, N = query.shape[s], key.shape[s], query.shape[n] if batched else 1
        if key_padding_mask is not None:
            kpm = _check_mask(key_padding_mask, "key_padding_mask")
            expected = (N, S) if batched else (S,)
            if tuple(kpm.shape) != expected:
                raise ValueError(f"key_padding_mask must have shape {expected}, got {tuple(kpm.shape)}")
        if attn_mask is not None:
            mask = _check_mask(attn_mask, "attn_mask")
            if tuple(mask.shape) not in ((L, S), (N * self.num_heads, L, S)):
                heads = "N * num_heads" if batched else "num_heads"
                raise ValueError(f"attn_mask must have shape {(L, S)} (L, S) or {(N * self.num_heads, L, S)} "
                                 f"({heads}, L, S), got {tuple(mask.shape)}")
        return batched

    def _merged_mask(self, attn_mask: Tensor | None, key_padding_mask: Tensor | None, L: int, N: int, S: int,
                     dtype: torch.dtype) -> Tensor | None:
        """``attn_mask`` and ``key_padding_mask`` as one additive float mask ``(N or 1, h or 1, L, S)``:
        True becomes $-\\infty$ (MHA's masks say where *not* to attend), float masks add."""
        mask = None
        if attn_mask is not None:
            mask = _as_additive(attn_mask, dtype, False)
            mask = mask.reshape(1, 1, L, S) if mask.dim() == 2 else mask.reshape(N, self.num_heads, L, S)
        if key_padding_mask is not None:
            padding = _as_additive(key_padding_mask, dtype, False).reshape(N, 1, 1, S)
            mask = padding if mask is None else mask + padding
        return mask


def _one_more_key(mask: Tensor | None) -> Tensor | None:
    """The mask with one more key column, 0: every query may attend to the appended key."""
    return None if mask is None else torch.cat([mask, mask.new_zeros(*mask.shape[:-1], 1)], dim=-1)


# --- Positional encoding ------------------------------------------------------------------------


def positional_encoding(max_len: int, d_model: int, dtype: torch.dtype | None = None) -> Tensor:
    r"""The sinusoidal positional encoding of Vaswani et al. (2017), as d2l writes it:
    $P_{t, 2i} = \sin\!\big(t / 10000^{2i/d}\big)$ and $P_{t, 2i+1} = \cos\!\big(t / 10000^{2i/d}\big)$
    for position $t$ and $d = $ ``d_model``; ``() -> (max_len, d_model)``.

    Each pair of columns $(2i, 2i + 1)$ turns at its own frequency $10000^{-2i/d}$ per position,
    from 1 (a turn every $2\pi$ positions) down to $10000^{-(d-2)/d}$ for the last pair; so for an
    even $d$, $P_{t + \Delta}$ is a fixed linear map (a rotation in each pair) of $P_t$ for every
    $\Delta$.
    Computed in float64, then cast.

    :param max_len: the number of positions $t = 0, \dots, \text{max\_len} - 1$.
    :param d_model: $d$, the number of columns (an odd $d$ ends with a sine column).
    :param dtype: the result's floating-point dtype (torch's default if None).
    """
    check_int(max_len, "max_len", min_value=0)
    check_int(d_model, "d_model")
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    t = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)  # (max_len, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # 2i = 0, 2, 4, ...
    angles = t / 10000.0 ** (two_i / d_model)  # (max_len, ceil(d / 2))
    P = torch.zeros(max_len, d_model, dtype=torch.float64)
    P[:, 0::2] = torch.sin(angles)
    P[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return P.to(dtype)


class PositionalEncoding(nn.Module):
    r"""Add the sinusoidal :func:`positional_encoding` to a sequence of vectors, then dropout:
    $x_t + P_t$. ``(*, T, d_model) -> (*, T, d_model)`` (batch first), $T \le$ ``max_len``.

    The table $P$ is a buffer computed once (not a parameter, not in the ``state_dict``); it
    follows the module's ``.to(dtype)``.

    :param d_model: $d$, the size of each vector.
    :param max_len: the longest sequence.
    :param dropout: the dropout probability after the addition (d2l's choice), in $[0, 1]$.
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0) -> None:
        super().__init__()
        check_int(max_len, "max_len")
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("encoding", positional_encoding(max_len, d_model), persistent=False)
        self.dropout = Dropout(dropout)

    def forward(self, input: Tensor) -> Tensor:
        x = check_tensor(input)
        if x.dim() < 2 or x.shape[-1] != self.d_model:
            raise ValueError(f"input must be [..., T, {self.d_model}] (d_model = {self.d_model}), "
                             f"got shape {tuple(x.shape)}")
        T = x.shape[-2]
        if T > self.max_len:
            raise ValueError(f"the sequence ({T} positions) is longer than max_len = {self.max_len}")
        return self.dropout(x + self.encoding[:T].to(x.dtype))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"


# --- The Transformer block and a causal language model -------------------------------------------


def _future_mask(size: int, device: torch.device) -> Tensor:
    """``(size, size)`` bool, True above the diagonal: position $t$ may not attend to $j > t$
    (MHA's convention: True = not allowed)."""
    return torch.ones(size, size, dtype=torch.bool, device=device).triu(1)


class TransformerEncoderBlock(nn.Module):
    r"""A pre-norm Transformer block: $x \leftarrow x + \mathrm{MHA}(\mathrm{LN}_1(x))$, then
    $x \leftarrow x + W_2\, \phi(W_1\, \mathrm{LN}_2(x) + b_1) + b_2$, dropout on each branch.

    ``forward(x, attn_mask=None, key_padding_mask=None, is_causal=False)``:
    ``(N, T, d_model) -> (N, T, d_model)`` (batch first; unbatched ``(T, d_model)`` too). With
    ``is_causal=True`` and no ``attn_mask``, position $t$ attends to positions $\le t$ only. The
    masks are :class:`MultiheadAttention`'s (True: may not attend).

    Its submodules have the names of :class:`torch.nn.TransformerEncoderLayer` (``self_attn``,
    ``linear1``, ``linear2``, ``norm1``, ``norm2``, ``dropout``, ``dropout1``, ``dropout2``), and it
    computes what that layer computes with ``norm_first=True, batch_first=True``, so their
    ``state_dict`` load into each other. Normalizing inside each branch (pre-norm) leaves the
    residual path $x + \dots$ an identity from the input to the output; Xiong et al. (2020) found
    that it trains without the learning-rate warm-up the original post-norm block needs.

    :param d_model: the size of each position's vector.
    :param num_heads: the number of attention heads (a divisor of ``d_model``).
    :param dim_feedforward: the MLP's hidden size ($4 \cdot$ ``d_model`` if None).
    :param dropout: the dropout probability on the attention weights and after each branch.
    :param activation: $\phi$, ``"gelu"`` or ``"relu"``.
    :param layer_norm_eps: the layer norms' $\epsilon$.
    :param bias: the linear layers and the attention learn biases (the layer norms too).
    """

    def __init__(self, d_model: int, num_heads: int, dim_feedforward: int | None = None, dropout: float = 0.0,
                 activation: str = "gelu", layer_norm_eps: float = 1e-5, bias: bool = True) -> None:
        super().__init__()
        check_int(d_model, "d_model")
        hidden = 4 * d_model if dim_feedforward is None else check_int(dim_feedforward, "dim_feedforward")
        kind = check_choice(activation, "activation", ("gelu", "relu"))
        self.self_attn = MultiheadAttention(d_model, num_heads, dropout=dropout, bias=bias, batch_first=True)
        self.linear1 = Linear(d_model, hidden, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(hidden, d_model, bias=bias)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = GELU() if kind == "gelu" else ReLU()

    def forward(self, x: Tensor, attn_mask: Tensor | None = None, key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        if is_causal and attn_mask is None:
            attn_mask = _future_mask(check_tensor(x, "x").shape[-2], x.device)
        h = self.norm1(x)
        a, _ = self.self_attn(h, h, h, key_padding_mask=key_padding_mask, need_weights=False,
                              attn_mask=attn_mask, is_causal=is_causal)
        x = x + self.dropout1(a)
        h = self.linear2(self.dropout(self.activation(self.linear1(self.norm2(x)))))
        return x + self.dropout2(h)


class CausalTransformerLM(nn.Module):
    r"""A decoder-only Transformer language model over characters: each id becomes a learned
    vector (``torch.nn.Embedding``), :class:`PositionalEncoding` adds its position, ``num_layers``
    causal :class:`TransformerEncoderBlock` s mix the positions (position $t$ sees $\le t$ only),
    a final :class:`~nnbasics.regularization.LayerNorm` and a :class:`~nnbasics.layers.Linear`
    layer give logits over the vocabulary for the next character.

    ``forward(ids, state=None)``: ``(B, T) -> (B, T, vocab_size)``, the interface of
    :class:`nnbasics.recurrent.CharLSTM`: ids and the state left by the previous call (None to
    start afresh) to logits and the new state. The state is the context itself, the ids read so
    far ``(B, T')`` (at most the last ``max_len``): a Transformer has no hidden state to carry, so
    each call re-reads the context with the new ids appended and returns the logits of the new
    ids. Feeding a sequence in pieces gives the logits of feeding it whole, as long as it fits in
    ``max_len``; beyond that the context slides. So :func:`nnbasics.recurrent.sample` and
    :func:`nnbasics.recurrent.bits_per_char` work with it unchanged.

    torch's ``Embedding`` starts at $\mathcal N(0, 1)$, the scale of the encoding's entries
    (within $[-1, 1]$), so the embedding is not multiplied by $\sqrt{d}$ (Vaswani et al. do; their
    embedding shares its weights with the output layer).

    :param vocab_size: the number of distinct character ids.
    :param d_model: the size of each position's vector.
    :param num_heads: the number of attention heads per block (a divisor of ``d_model``).
    :param num_layers: the number of blocks.
    :param max_len: the longest context the model reads.
    :param dim_feedforward: each block's MLP hidden size ($4 \cdot$ ``d_model`` if None).
    :param dropout: the dropout probability (positional encoding, attention, branches).
    """

    def __init__(self, vocab_size: int, d_model: int = 64, num_heads: int = 4, num_layers: int = 2,
                 max_len: int = 256, dim_feedforward: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("d_model", d_model), ("num_layers", num_layers),
                            ("max_len", max_len)):
            check_int(value, name)
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = PositionalEncoding(d_model, max_len, dropout)
        self.blocks = nn.ModuleList(TransformerEncoderBlock(d_model, num_heads, dim_feedforward, dropout)
                                    for _ in range(num_layers))
        self.norm = LayerNorm(d_model)
        self.out = Linear(d_model, vocab_size)

    def forward(self, ids: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        ids = check_ids(ids, "ids", dim=2)
        if not 1 <= ids.shape[1] <= self.max_len:
            raise ValueError(f"ids must hold 1 to max_len = {self.max_len} positions, "
                             f"got shape {tuple(ids.shape)}")
        context = ids
        if state is not None:
            state = check_ids(state, "state", dim=2)
            if state.shape[0] != ids.shape[0]:
                raise ValueError(f"state must hold the context of each of the {ids.shape[0]} sequences, "
                                 f"got shape {tuple(state.shape)}")
            context = torch.cat([state, ids], dim=1)[:, -self.max_len:]
        x = self.pos(self.embed(context))
        for block in self.blocks:
            x = block(x, is_causal=True)
        logits = self.out(self.norm(x))
        return logits[:, -ids.shape[1]:], context


def attention_maps(model: CausalTransformerLM, ids: Tensor) -> Tensor:
    r"""The attention weights of every head of every block of ``model`` reading ``ids``:
    ``(B, T) -> (B, num_layers, num_heads, T, T)``; row $i$ of a head's map is query $i$'s weights
    over the keys (zero beyond $i$: causal), summing to 1.

    A block asks its attention for no weights (``need_weights=False``), so this runs ``model``'s
    forward a layer at a time, as :class:`CausalTransformerLM` does (embedding, positions,
    then each block), and asks each block's attention for its weights per head on what the block
    gives it, ``norm1`` of the block's input. In eval mode and without gradients.

    :param model: a :class:`CausalTransformerLM`.
    :param ids: character ids, ``(B, T)`` with ``1 <= T <= model.max_len``.
    """
    if not isinstance(model, CausalTransformerLM):
        raise TypeError(f"model must be a CausalTransformerLM, got {type(model).__name__}")
    ids = check_ids(ids, "ids", dim=2)
    if not 1 <= ids.shape[1] <= model.max_len:
        raise ValueError(f"ids must hold 1 to max_len = {model.max_len} positions, "
                         f"got shape {tuple(ids.shape)}")
    future = _future_mask(ids.shape[1], ids.device)
    maps = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = model.pos(model.embed(ids))
            for block in model.blocks:
                h = block.norm1(x)  # what the block's attention reads
                _, weights = block.self_attn(h, h, h, attn_mask=future, average_attn_weights=False)
                maps.append(weights)  # (B, heads, T, T)
                x = block(x, is_causal=True)
    finally:
        model.train(was_training)
    return torch.stack(maps, dim=1)
