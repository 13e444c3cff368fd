r"""The fused recurrent layers of the appendix "Making it fast".

The chapter "Recurrent networks and LSTM" teaches BPTT with the step Functions of
:mod:`nnbasics.recurrent` and a Python loop over them. :class:`LSTM` and :class:`GRU` here are
those layers (same arguments, parameters and checks: they subclass them) running one layer, both
directions at once, through :class:`FusedRecurrentFunction`, which computes the same numbers
faster with three tricks:

- **one activation call for all gates**: the LSTM activates $i, f, g, o$ with one sigmoid call,
  using $\tanh x = 2\sigma(2x) - 1$ for the $g$ gate;
- **buffer reuse**: the backward pass writes every step's gate gradients with ``out=`` into
  slices of two buffers that span the whole sequence, so no step allocates or concatenates, and
  the weight gradients are one matrix product each after the loop;
- **fused matrix products** (``baddbmm``, ``addcmul``, ``lerp``) that add while they multiply.

Both directions of a bidirectional layer run together (a leading direction dimension D).
``tests/test_fast_recurrent.py`` checks values and gradients against the taught layers. A chapter
that wants the speed imports these classes by name.
"""

from __future__ import annotations

import torch

from nnbasics import recurrent
from nnbasics.numerics import sigmoid, tanh

__all__ = ["GRU", "LSTM", "FusedRecurrentFunction"]

# One time step of each cell, forward and backward side by side. Every tensor has a leading
# direction dimension D (1, or 2 when a bidirectional layer runs both directions together), so
# the matrix products are batched (torch.baddbmm, torch.bmm): ``gi`` [D, B, G] is the step's
# input projection, ``h`` and ``c`` are [D, B, H], ``w_hh_t`` is $W_{hh}^\top$ [D, H, G]. A step
# returns (h', c', cache). Its backward gets the gradients w.r.t. h' and c' and writes the
# gradients w.r.t. the gate pre-activations into ``dgi`` (the part that reaches ``gi``) and
# ``dgh`` (the part that reaches $h W_{hh}^\top$), [D, B, G] slices of buffers for the whole
# sequence, filled with ``out=`` so that no step needs a torch.cat; it returns the gradients
# w.r.t. h and c.


def _lstm_step(gi, h, c, w_hh_t, b_hh):
    r"""$i, f, g, o$ from $gi + h W_{hh}^\top$ (``gi`` already holds $b_{hh}$); $c' = f c + i g$,
    $h' = o \tanh c'$. One sigmoid call activates all four gates, since $\tanh x = 2\sigma(2x) - 1$."""
    H = h.shape[-1]
    a = torch.baddbmm(gi, h, w_hh_t)  # [D, B, 4H] pre-activations of i, f, g, o
    a[..., 2 * H : 3 * H] *= 2
    a = sigmoid(a)  # σ(i), σ(f), σ(2 g), σ(o)
    i, f, s, o = a.chunk(4, dim=-1)
    g = 2 * s - 1
    c_new = torch.addcmul(f * c, i, g)
    tc = tanh(c_new)
    return o * tc, c_new, (a, g, tc, c)


def _lstm_step_back(dh, dc, cache, w_hh, dgi, dgh):
    r"""$dc \mathrel{+}= dh\, o\, (1 - \tanh^2 c')$; the gates get $dc\, g$, $dc\, c$, $dc\, i$,
    $dh \tanh c'$, times their activation's derivative; $dh \leftarrow d\text{gates}\, W_{hh}$,
    $dc \leftarrow dc\, f$."""
    a, g, tc, c = cache
    i, f, _, o = a.chunk(4, dim=-1)
    dc = torch.addcmul(dc, dh * o, 1 - tc * tc)
    di, df, dg, do = dgi.chunk(4, dim=-1)
    torch.mul(dc, g, out=di)
    torch.mul(dc, c, out=df)
    torch.mul(dc, i, out=dg)
    torch.mul(dh, tc, out=do)
    dgi.mul_(torch.addcmul(a, a, a, value=-1))  # σ' = σ - σ²
    dg.mul_(4)  # g = 2σ(2x) - 1, so g' = 4σ'(2x)
    return torch.bmm(dgh, w_hh), dc * f


def _gru_step(gi, h, c, w_hh_t, b_hh):
    r"""$r, z = \sigma(gi_{rz} + h W_{h,rz}^\top + b_{h,rz})$ in one call,
    $n = \tanh(gi_n + r\,(h W_{hn}^\top + b_{hn}))$, $h' = (1 - z)\,n + z\,h$ (a lerp from n to h)."""
    H = h.shape[-1]
    gh = torch.baddbmm(b_hh, h, w_hh_t)
    rz = sigmoid(gi[..., : 2 * H] + gh[..., : 2 * H])
    r, z = rz.chunk(2, dim=-1)
    hn = gh[..., 2 * H :]
    n = tanh(torch.addcmul(gi[..., 2 * H :], r, hn))
    return torch.lerp(n, h, z), None, (rz, n, hn, h)


def _gru_step_back(dh, dc, cache, w_hh, dgi, dgh):
    r"""$dn = dh\,(1 - z)(1 - n^2)$, $dr = dn\, hn$, $dz = dh\,(h - n)$, times $\sigma'$; ``dgh``
    differs from ``dgi`` only in n's block, $dn\, r$; $dh \leftarrow dh\, z + d\text{gh}\, W_{hh}$."""
    rz, n, hn, h = cache
    H = h.shape[-1]
    r, z = rz.chunk(2, dim=-1)
    dh_z = dh * z
    d_rz, dn = dgi[..., : 2 * H], dgi[..., 2 * H :]
    torch.mul(dh - dh_z, 1 - n * n, out=dn)
    dr, dz = d_rz.chunk(2, dim=-1)
    torch.mul(dn, hn, out=dr)
    torch.mul(dh, h - n, out=dz)
    d_rz.mul_(torch.addcmul(rz, rz, rz, value=-1))  # σ' = σ - σ²
    dgh[..., : 2 * H] = d_rz
    torch.mul(dn, r, out=dgh[..., 2 * H :])
    return torch.baddbmm(dh_z, dgh, w_hh), None


STEPS = {
    "lstm": (_lstm_step, _lstm_step_back),
    "gru": (_gru_step, _gru_step_back),
}


class FusedRecurrentFunction(torch.autograd.Function):
    """A whole sequence through one LSTM or GRU layer (``mode`` ``"lstm"`` or ``"gru"``), all its
    directions at once, with hand-written BPTT fused by the tricks of this module.

    Inputs: ``x`` [D, T, B, I] (direction 1 gets the reversed sequence), ``h0`` [D, B, H],
    ``c0`` [D, B, H] (LSTM) or None, the weights ``w_ih`` [D, G, I], ``w_hh`` [D, G, H] and biases
    [D, G] or None, stacked over the D directions (G = gates × H).
    Outputs: every hidden state [D, T, B, H], the last hidden state and the last cell state
    (an empty tensor for a GRU). One time step is ``STEPS[mode]``: a cell's step and its
    backward, side by side (``_lstm_step`` and ``_lstm_step_back``, ``_gru_step`` and
    ``_gru_step_back``).
    """

    @staticmethod
    def forward(ctx, mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        steps, batch = x.shape[1:3]
        step = STEPS[mode][0]
        # bias=False: zero biases keep one code path
        b_ih = w_ih.new_zeros(w_ih.shape[:2]) if b_ih is None else b_ih
        b_hh = w_hh.new_zeros(w_hh.shape[:2]) if b_hh is None else b_hh
        if mode != "gru":  # both biases come before any nonlinearity: add b_hh once, here
            b_ih = b_ih + b_hh
        # all time steps' input projections in one matrix product: [D, T, B, G]
        gi = torch.baddbmm(b_ih.unsqueeze(1), x.flatten(1, 2), w_ih.mT).unflatten(1, (steps, batch))
        w_hh_t, b_hh = w_hh.mT.contiguous(), b_hh.unsqueeze(1)
        h, c, hs, caches = h0, c0, [h0], []
        for t in range(steps):
            h, c, cache = step(gi[:, t], h, c, w_hh_t, b_hh)
            hs.append(h)
            caches.append(cache)
        ctx.mode, ctx.caches = mode, caches
        ctx.save_for_backward(x, w_ih, w_hh, torch.stack(hs[:-1], dim=1))  # h_{t-1}: [D, T, B, H]
        c_last = c if mode == "lstm" else h.new_zeros(0)
        return torch.stack(hs[1:], dim=1), h, c_last

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c):
        x, w_ih, w_hh, h_prev = ctx.saved_tensors
        mode, caches = ctx.mode, ctx.caches
        step_back = STEPS[mode][1]
        steps = x.shape[1]
        dh = grad_h
        dc = grad_c if mode == "lstm" else None
        # gradients w.r.t. the gate pre-activations, written in place by step_back: [D, T, B, G]
        dgi = x.new_empty(*x.shape[:3], w_hh.shape[1])
        dgh = torch.empty_like(dgi) if mode == "gru" else dgi  # they differ only in GRU's n gate
        for t in reversed(range(steps)):  # backpropagation through time
            dh, dc = step_back(dh + grad_out[:, t], dc, caches[t], w_hh, dgi[:, t], dgh[:, t])
        flat_i, flat_h = dgi.flatten(1, 2), dgh.flatten(1, 2)  # [D, T * B, G]
        need = ctx.needs_input_grad
        grad_x = torch.bmm(flat_i, w_ih).view_as(x) if need[1] else None
        # dW = dgates^T inputs, summed over steps and batch; BLAS is faster at (inputs^T dgates)^T
        grad_w_ih = torch.bmm(x.flatten(1, 2).mT, flat_i).mT if need[4] else None
        grad_w_hh = torch.bmm(h_prev.flatten(1, 2).mT, flat_h).mT if need[5] else None
        grad_b_ih = flat_i.sum(1) if need[6] else None
        grad_b_hh = flat_h.sum(1) if need[7] else None
        return None, grad_x, dh, dc, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh


class _FusedLayer:
    """Runs each layer of a taught :class:`~nnbasics.recurrent.LSTM` or :class:`~nnbasics.recurrent.GRU`
    through :class:`FusedRecurrentFunction`, both directions in one call; everything else (the
    arguments, the checks, the stacking of layers) is the taught wrapper's."""

    def _layer(self, layer, x, h0, c0):
        if self.proj_size:  # the fused kernels have no projection: the taught loop
            return super()._layer(layer, x, h0, c0)
        # each weight stacked over the directions: [D, G, I], [D, G, H], [D, G], [D, G]
        weights = [self._weights(layer, suffix) for suffix in self.suffixes]
        w_ih, w_hh, b_ih, b_hh = (torch.stack([w[k] for w in weights]) if self.bias or k < 2 else None
                                  for k in range(4))
        xs = torch.stack([x, x.flip(0)]) if self.bidirectional else x[None]  # [D, T, B, I]
        out, h, c = FusedRecurrentFunction.apply(self.mode, xs, h0, c0, w_ih, w_hh, b_ih, b_hh)
        output = torch.cat([out[0], out[1].flip(0)], dim=2) if self.bidirectional else out[0]
        return output, h, c if self.mode == "lstm" else None


class LSTM(_FusedLayer, recurrent.LSTM):
    """:class:`nnbasics.recurrent.LSTM` (same arguments and parameters) with the fused kernels;
    a layer with ``proj_size`` runs the taught loop."""


class GRU(_FusedLayer, recurrent.GRU):
    """:class:`nnbasics.recurrent.GRU` (same arguments and parameters) with the fused kernels."""
