"""Recurrent layers (RNN, LSTM, GRU) with backpropagation through time written by hand.

Taught in the chapter "Recurrent networks and LSTM". One ``RecurrentFunction`` runs a
whole sequence through one layer, both directions at once when it is bidirectional: the forward
pass computes every input projection $x_t W_{ih}^\\top$ with a single matrix product, then loops
over time; the backward pass loops over time in reverse (BPTT), collecting the gradients of the
gates, and again forms the weight gradients with single matrix products. The module classes
have ``torch.nn``'s constructor arguments, parameter names (``weight_ih_l0``,
``bias_hh_l1_reverse``...), gate order and return values, so a torch module's ``state_dict``
loads into them.

The last section holds the character-level language model of the page "A character-level
language model": :class:`CharLSTM`, its training batches (:func:`text_batch`), its measure
(:func:`bits_per_char`) and text generation with a temperature (:func:`sample`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from nnbasics._checks import check_choice, check_int, check_real, check_tensor
from nnbasics.activations import softmax
from nnbasics.fast.recurrent import FusedRecurrentFunction
from nnbasics.layers import Linear
from nnbasics.losses import cross_entropy
from nnbasics.numerics import sigmoid, tanh
from nnbasics.utils import evaluating

__all__ = ["GRU", "LSTM", "RNN", "CharLSTM", "GRUCell", "LSTMCell", "RNNCell", "bits_per_char",
           "clip_grad_norm_", "clip_grad_value_", "sample", "text_batch"]

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}

# One time step of each cell, forward and backward side by side, in the chapter's notation.
# Every tensor has a leading direction dimension D (1, or 2 when a bidirectional layer runs both
# directions together), so ``@`` is a batched matrix product. ``gi`` [D, B, G] is the step's input
# projection $x_t W_{ih}^\top + b_{ih}$, ``h`` and ``c`` are $h_{t-1}$ and $c_{t-1}$ [D, B, H],
# ``w_hh_t`` is $W_{hh}^\top$ [D, H, G], ``b_hh`` is [D, 1, G]. A step returns
# ``(h_t, c_t, cache)``. Its backward gets $\partial L/\partial h_t$ and $\partial L/\partial c_t$
# and returns the gradients w.r.t. the gates' input part ``d_gi`` and recurrent part ``d_gh``
# (both [D, B, G]) and w.r.t. $h_{t-1}$ and $c_{t-1}$.


def _lstm_step(gi, h, c, w_hh_t, b_hh):
    r"""$i_t = \sigma(\cdot)$, $f_t = \sigma(\cdot)$, $g_t = \tanh(\cdot)$, $o_t = \sigma(\cdot)$ of
    $x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b$ (``gi`` already holds $b_{hh}$);
    $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, $h_t = o_t \odot \tanh c_t$."""
    a_i, a_f, a_g, a_o = (gi + h @ w_hh_t).chunk(4, dim=-1)  # each [D, B, H]
    i_t, f_t, g_t, o_t = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
    c_t = f_t * c + i_t * g_t
    tanh_c_t = tanh(c_t)
    h_t = o_t * tanh_c_t
    return h_t, c_t, (i_t, f_t, g_t, o_t, c, tanh_c_t)


def _lstm_step_back(dh_t, dc_t, cache, w_hh):
    r"""$dc_t \mathrel{+}= dh_t\, o_t\, (1 - \tanh^2 c_t)$; then each gate's pre-activation gets
    $do_t = dh_t \tanh c_t \cdot \sigma'$, $di_t = dc_t\, g_t \cdot \sigma'$,
    $df_t = dc_t\, c_{t-1} \cdot \sigma'$, $dg_t = dc_t\, i_t\, (1 - g_t^2)$, with
    $\sigma' = \sigma (1 - \sigma)$; $dh_{t-1} = da\, W_{hh}$, $dc_{t-1} = dc_t\, f_t$."""
    i_t, f_t, g_t, o_t, c_prev, tanh_c_t = cache
    dc_t = dc_t + dh_t * o_t * (1 - tanh_c_t * tanh_c_t)
    d_i = dc_t * g_t * i_t * (1 - i_t)
    d_f = dc_t * c_prev * f_t * (1 - f_t)
    d_g = dc_t * i_t * (1 - g_t * g_t)
    d_o = dh_t * tanh_c_t * o_t * (1 - o_t)
    d_a = torch.cat([d_i, d_f, d_g, d_o], dim=-1)  # [D, B, 4H], gate order i, f, g, o
    return d_a, d_a, d_a @ w_hh, dc_t * f_t


def _gru_step(gi, h, c, w_hh_t, b_hh):
    r"""$r_t = \sigma(\cdot)$, $z_t = \sigma(\cdot)$ of $gi + h_{t-1} W_{hh}^\top + b_{hh}$;
    $n_t = \tanh(gi_n + r_t \odot (h_{t-1} W_{hn}^\top + b_{hn}))$,
    $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$."""
    gi_r, gi_z, gi_n = gi.chunk(3, dim=-1)
    gh_r, gh_z, gh_n = (h @ w_hh_t + b_hh).chunk(3, dim=-1)
    r_t = sigmoid(gi_r + gh_r)
    z_t = sigmoid(gi_z + gh_z)
    n_t = tanh(gi_n + r_t * gh_n)
    h_t = (1 - z_t) * n_t + z_t * h
    return h_t, None, (r_t, z_t, n_t, gh_n, h)


def _gru_step_back(dh_t, dc_t, cache, w_hh):
    r"""$dn = dh_t (1 - z_t)(1 - n_t^2)$, $dz = dh_t (h_{t-1} - n_t)\,\sigma'$,
    $dr = dn\, (h_{t-1} W_{hn}^\top + b_{hn})\,\sigma'$; the recurrent part of n's gradient is
    $dn\, r_t$; $dh_{t-1} = dh_t\, z_t + d_{gh} W_{hh}$."""
    r_t, z_t, n_t, gh_n, h_prev = cache
    d_n = dh_t * (1 - z_t) * (1 - n_t * n_t)
    d_z = dh_t * (h_prev - n_t) * z_t * (1 - z_t)
    d_r = d_n * gh_n * r_t * (1 - r_t)
    d_gi = torch.cat([d_r, d_z, d_n], dim=-1)
    d_gh = torch.cat([d_r, d_z, d_n * r_t], dim=-1)
    return d_gi, d_gh, dh_t * z_t + d_gh @ w_hh, None


def _rnn_tanh_step(gi, h, c, w_hh_t, b_hh):
    r"""$h_t = \tanh(x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b)$ (``gi`` already holds $b_{hh}$)."""
    h_t = tanh(gi + h @ w_hh_t)
    return h_t, None, h_t


def _rnn_tanh_step_back(dh_t, dc_t, h_t, w_hh):
    r"""$da = dh_t\,(1 - h_t^2)$, $dh_{t-1} = da\, W_{hh}$."""
    d_a = dh_t * (1 - h_t * h_t)
    return d_a, d_a, d_a @ w_hh, None


def _rnn_relu_step(gi, h, c, w_hh_t, b_hh):
    r"""$h_t = \max(0, x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b)$ (``gi`` already holds $b_{hh}$)."""
    h_t = torch.clamp(gi + h @ w_hh_t, min=0.0)
    return h_t, None, h_t


def _rnn_relu_step_back(dh_t, dc_t, h_t, w_hh):
    r"""$da = dh_t$ where $h_t > 0$, else 0; $dh_{t-1} = da\, W_{hh}$."""
    d_a = torch.where(h_t > 0, dh_t, torch.zeros_like(dh_t))
    return d_a, d_a, d_a @ w_hh, None


STEPS = {
    "lstm": (_lstm_step, _lstm_step_back),
    "gru": (_gru_step, _gru_step_back),
    "rnn_tanh": (_rnn_tanh_step, _rnn_tanh_step_back),
    "rnn_relu": (_rnn_relu_step, _rnn_relu_step_back),
}


class RecurrentFunction(torch.autograd.Function):
    r"""A whole sequence through one recurrent layer, all its directions at once, with hand-written
    BPTT.

    Inputs: ``x`` [D, T, B, I] (direction 1 gets the reversed sequence), ``h0`` [D, B, H],
    ``c0`` [D, B, H] (LSTM) or None, the weights ``w_ih`` [D, G, I], ``w_hh`` [D, G, H] and biases
    [D, G] or None, stacked over the D directions (G = gates × H), and for an LSTM with
    ``proj_size`` P the projection ``w_hr`` [D, P, H] (else None): then $h_t = m_t W_{hr}^\top$
    with $m_t = o_t \odot \tanh c_t$ the cell's output, so ``h0`` and ``w_hh`` have P columns.
    Outputs: every hidden state [D, T, B, H (or P)], the last hidden state and the last cell state.
    One time step is ``STEPS[mode]``: a cell's step and its backward, side by side
    (``_lstm_step`` and ``_lstm_step_back``, ...).
    """

    @staticmethod
    def forward(ctx, mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None):
        steps, batch = x.shape[1:3]
        step = STEPS[mode][0]
        # bias=False: zero biases keep one code path
        b_ih = w_ih.new_zeros(w_ih.shape[:2]) if b_ih is None else b_ih
        b_hh = w_hh.new_zeros(w_hh.shape[:2]) if b_hh is None else b_hh
        if mode != "gru":  # both biases come before any nonlinearity: add b_hh once, here
            b_ih = b_ih + b_hh
        # all time steps' input projections in one matrix product: [D, T, B, G]
        gi = torch.baddbmm(b_ih.unsqueeze(1), x.flatten(1, 2), w_ih.mT).unflatten(1, (steps, batch))
        w_hh_t, b_hh = w_hh.mT, b_hh.unsqueeze(1)
        h, c, hs, caches, ms = h0, c0, [h0], [], []
        for t in range(steps):
            h, c, cache = step(gi[:, t], h, c, w_hh_t, b_hh)
            if w_hr is not None:  # projection: h_t = m_t W_hr^T, [D, B, H] -> [D, B, P]
                ms.append(h)
                h = h @ w_hr.mT
            hs.append(h)
            caches.append(cache)
        ctx.mode, ctx.caches, ctx.ms = mode, caches, ms
        ctx.save_for_backward(x, w_ih, w_hh, torch.stack(hs[:-1], dim=1), w_hr)  # h_{t-1}: [D, T, B, H]
        c_last = c if mode == "lstm" else h.new_zeros(0)
        return torch.stack(hs[1:], dim=1), h, c_last

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c):
        x, w_ih, w_hh, h_prev, w_hr = ctx.saved_tensors
        mode, caches = ctx.mode, ctx.caches
        step_back = STEPS[mode][1]
        steps = x.shape[1]
        dh = grad_h
        dc = grad_c if mode == "lstm" else None
        d_gis, d_ghs, d_hs = [None] * steps, [None] * steps, [None] * steps
        for t in reversed(range(steps)):  # backpropagation through time
            dh_t = dh + grad_out[:, t]
            if w_hr is not None:  # through the projection: dm_t = dh_t W_hr
                d_hs[t] = dh_t
                dh_t = dh_t @ w_hr
            d_gis[t], d_ghs[t], dh, dc = step_back(dh_t, dc, caches[t], w_hh)
        # the gate gradients of every step, [D, T, B, G], flattened to [D, T * B, G]
        flat_i = torch.stack(d_gis, dim=1).flatten(1, 2)
        flat_h = torch.stack(d_ghs, dim=1).flatten(1, 2)
        need = ctx.needs_input_grad
        grad_x = torch.bmm(flat_i, w_ih).view_as(x) if need[1] else None
        # dW = dgates^T inputs, summed over steps and batch
        grad_w_ih = torch.bmm(flat_i.mT, x.flatten(1, 2)) if need[4] else None
        grad_w_hh = torch.bmm(flat_h.mT, h_prev.flatten(1, 2)) if need[5] else None
        grad_b_ih = flat_i.sum(1) if need[6] else None
        grad_b_hh = flat_h.sum(1) if need[7] else None
        grad_w_hr = None
        if w_hr is not None and need[8]:  # dW_hr = sum over steps and batch of dh_t^T m_t
            flat_dh = torch.stack(d_hs, dim=1).flatten(1, 2)
            grad_w_hr = torch.bmm(flat_dh.mT, torch.stack(ctx.ms, dim=1).flatten(1, 2))
        return None, grad_x, dh, dc, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh, grad_w_hr


def _check_dtypes(module: nn.Module, x: Tensor, states: list[Tensor]) -> None:
    """One dtype for the input, the states and the weights, else a clear TypeError."""
    weight = module.weight_ih if hasattr(module, "weight_ih") else module.weight_ih_l0
    for name, t in [("input", x), ("hx", *states[:1]), ("c_0", *states[1:2])][: 1 + len(states)]:
        if t.dtype != weight.dtype:
            raise TypeError(
                f"{name} has dtype {t.dtype} but the {type(module).__name__}'s weights are "
                f"{weight.dtype}: convert one of them, e.g. module.to({t.dtype})"
            )


class _RecurrentBase(nn.Module):
    #: LSTM and GRU run the fused kernels of :mod:`nnbasics.fast.recurrent` (same numbers);
    #: set ``layer.fast = False`` to run the clear ``RecurrentFunction`` the chapter shows.
    fast = True

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: object = None, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            check_int(value, name)
        check_int(proj_size, "proj_size", min_value=0)
        if proj_size and mode != "lstm":
            raise ValueError(f"proj_size is only for an LSTM, got proj_size={proj_size} for {mode}")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size must be smaller than hidden_size ({hidden_size}), got {proj_size}")
        if check_real(dropout, "dropout", min_value=0.0, max_value=1.0) != 0.0:
            raise ValueError(
                "dropout between recurrent layers is not implemented here: use dropout=0 "
                "and nnbasics.regularization.Dropout on the outputs"
            )
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = 0.0, bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size
        out_size = proj_size or hidden_size  # the size of h_t
        self._names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for suffix in ("", "_reverse")[:directions]:
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, layer_input), (gate_size, out_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                if proj_size:
                    names.append(f"weight_hr_l{layer}{suffix}")
                    shapes.append((proj_size, hidden_size))
                for name, shape in zip(names, shapes, strict=True):
                    empty = torch.empty(shape, device=device, dtype=dtype)
                    self.register_parameter(name, nn.Parameter(empty))
                self._names.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""torch's initialization: every parameter from $\mathcal U(-1/\sqrt H, 1/\sqrt H)$."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, input: Tensor, hx: Tensor | tuple[Tensor, Tensor] | None = None):
        x = check_tensor(input)
        if x.dim() not in (2, 3):
            raise ValueError(
                f"{type(self).__name__} expects input of shape [T, B, {self.input_size}] "
                f"(or [B, T, ...] with batch_first, or unbatched [T, ...]), got {tuple(x.shape)}"
            )
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"input_size mismatch: {type(self).__name__} expects {self.input_size} features "
                f"in the last dimension, got input of shape {tuple(input.shape)}"
            )
        directions = 2 if self.bidirectional else 1
        state_shape = (self.num_layers * directions, x.shape[1], self.hidden_size)
        h_shape = (*state_shape[:2], self.proj_size or self.hidden_size)
        h0, c0 = self._initial_state(hx, h_shape, state_shape, x, unbatched)
        _check_dtypes(self, x, [h0] if c0 is None else [h0, c0])
        hn, cn, layer_input = [], [], x
        for layer in range(self.num_layers):
            # both directions in one call: the reverse one reads the sequence backwards
            xs = (
                torch.stack([layer_input, layer_input.flip(0)])
                if directions == 2
                else layer_input.unsqueeze(0)
            )
            k = slice(layer * directions, (layer + 1) * directions)
            w_ih, w_hh, b_ih, b_hh, w_hr = self._stacked_weights(layer)
            # LSTM and GRU (the layers the chapters train) run the fused kernels of the appendix
            # "Making it fast"; tests/test_fast_recurrent.py checks that they equal RecurrentFunction.
            # An LSTM with a projection (proj_size) runs the clear RecurrentFunction only.
            use_fast = self.fast and self.mode in ("lstm", "gru") and w_hr is None
            args = (self.mode, xs, h0[k], None if c0 is None else c0[k], w_ih, w_hh, b_ih, b_hh)
            if use_fast:
                out, h, c = FusedRecurrentFunction.apply(*args)
            else:
                out, h, c = RecurrentFunction.apply(*args, w_hr)
            layer_input = torch.cat([out[0], out[1].flip(0)], dim=2) if directions == 2 else out[0]
            hn.append(h)
            cn.append(c)
        output, h_n = layer_input, torch.cat(hn)
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        if self.mode == "lstm":
            c_n = torch.cat(cn)
            return output, (h_n, c_n.squeeze(1) if unbatched else c_n)
        return output, h_n

    def _stacked_weights(self, layer):
        """``w_ih``, ``w_hh``, ``b_ih``, ``b_hh``, ``w_hr`` of one layer, stacked over its directions
        (None for the biases with ``bias=False``, and for ``w_hr`` without ``proj_size``)."""
        directions = 2 if self.bidirectional else 1
        names = zip(*self._names[layer * directions : (layer + 1) * directions], strict=True)
        # keyed by the name without the layer: "weight_ih", "bias_hh", "weight_hr", ...
        weights = {same[0][: same[0].rindex("_l")]: torch.stack([getattr(self, n) for n in same])
                   for same in names}
        return [weights.get(k) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]

    def _initial_state(self, hx, h_shape, c_shape, x, unbatched):
        def check(t, name, shape):
            t = check_tensor(t, name)
            t = t.unsqueeze(1) if unbatched else t
            if tuple(t.shape) != shape:
                expected = (shape[0], shape[2]) if unbatched else shape
                raise ValueError(
                    f"{name} must have shape {expected} (num_layers * num_directions, batch, "
                    f"hidden_size), got {tuple(t.shape if not unbatched else t.squeeze(1).shape)}"
                )
            return t

        if self.mode == "lstm":
            if hx is None:
                return x.new_zeros(h_shape), x.new_zeros(c_shape)
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise TypeError("an LSTM's initial state must be a pair (h_0, c_0)")
            return check(hx[0], "h_0", h_shape), check(hx[1], "c_0", c_shape)
        return (x.new_zeros(h_shape) if hx is None else check(hx, "h_0", h_shape)), None

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "rnn_relu":
            text += ", nonlinearity='relu'"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.bidirectional:
            text += ", bidirectional=True"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        return text


class RNN(_RecurrentBase):
    r"""Elman RNN, like :class:`torch.nn.RNN`.

    $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1}W_{hh}^\top + b_{hh})$ (or ReLU).

    Shapes, with $D$ = 2 if ``bidirectional`` else 1: ``(T, N, I) -> (T, N, D * H)``
    (``(N, T, ...)`` with ``batch_first``; unbatched ``(T, I)``), and ``h_0``, ``h_n``
    ``(D * num_layers, N, H)``.

    :param input_size: $I$, the number of features of each $x_t$.
    :param hidden_size: $H$, the number of features of each $h_t$.
    :param num_layers: how many layers are stacked, each reading the previous one's outputs.
    :param nonlinearity: ``"tanh"`` or ``"relu"``.
    :param bias: learn the biases $b_{ih}$ and $b_{hh}$.
    :param batch_first: inputs and outputs are ``(N, T, features)`` instead of ``(T, N, features)``.
    :param dropout: the dropout probability on each layer's outputs except the last (in training).
    :param bidirectional: run a second layer backwards in time and concatenate the two outputs.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: object = None,
                 dtype: torch.dtype | None = None) -> None:
        act = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
        super().__init__(f"rnn_{act}", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
        self.nonlinearity = act


class LSTM(_RecurrentBase):
    r"""LSTM, like :class:`torch.nn.LSTM` (gates in torch's order $i, f, g, o$):
    $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, $h_t = o_t \odot \tanh(c_t)$.

    With ``proj_size`` $P > 0$, $h_t = (o_t \odot \tanh c_t)\,W_{hr}^\top$ has $P$ features
    (``weight_hr_l0`` ``(P, H)``), as in torch; such a layer runs the clear ``RecurrentFunction``.

    Shapes, with $D$ = 2 if ``bidirectional`` else 1: ``(T, N, I) -> (T, N, D * H_out)``
    (``(N, T, ...)`` with ``batch_first``; unbatched ``(T, I)``), and each of ``(h_0, c_0)``, ``(h_n, c_n)``
    ``(D * num_layers, N, H_out)`` for $h$ and ``(D * num_layers, N, H)`` for $c$; $H_\text{out} = P$
    if ``proj_size`` > 0, else $H$.

    :param input_size: $I$, the number of features of each $x_t$.
    :param hidden_size: $H$, the number of features of each $h_t$.
    :param num_layers: how many layers are stacked, each reading the previous one's outputs.
    :param bias: learn the biases $b_{ih}$ and $b_{hh}$.
    :param batch_first: inputs and outputs are ``(N, T, features)`` instead of ``(T, N, features)``.
    :param dropout: the dropout probability on each layer's outputs except the last (in training).
    :param bidirectional: run a second layer backwards in time and concatenate the two outputs.
    :param proj_size: $P$: project each $h_t$ to $P$ features (0: no projection).
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: object = None, dtype: torch.dtype | None = None) -> None:
        super().__init__("lstm", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(_RecurrentBase):
    r"""GRU, like :class:`torch.nn.GRU` (gates $r, z, n$):
    $n_t = \tanh(W_{in}x_t + b_{in} + r_t \odot (W_{hn}h_{t-1} + b_{hn}))$,
    $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$.

    Shapes, with $D$ = 2 if ``bidirectional`` else 1: ``(T, N, I) -> (T, N, D * H)``
    (``(N, T, ...)`` with ``batch_first``; unbatched ``(T, I)``), and ``h_0``, ``h_n``
    ``(D * num_layers, N, H)``.

    :param input_size: $I$, the number of features of each $x_t$.
    :param hidden_size: $H$, the number of features of each $h_t$.
    :param num_layers: how many layers are stacked, each reading the previous one's outputs.
    :param bias: learn the biases $b_{ih}$ and $b_{hh}$.
    :param batch_first: inputs and outputs are ``(N, T, features)`` instead of ``(T, N, features)``.
    :param dropout: the dropout probability on each layer's outputs except the last (in training).
    :param bidirectional: run a second layer backwards in time and concatenate the two outputs.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: object = None, dtype: torch.dtype | None = None) -> None:
        super().__init__("gru", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class _CellBase(nn.Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True,
                 device: object = None, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        check_int(input_size, "input_size")
        check_int(hidden_size, "hidden_size")
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bias
        gate_size = GATES[mode] * hidden_size
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(gate_size, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(gate_size, hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gate_size, **factory))
            self.bias_hh = nn.Parameter(torch.empty(gate_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _run(self, input, hx):
        x = check_tensor(input)
        if x.dim() not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__} expects input of shape [B, {self.input_size}] or "
                f"[{self.input_size}], got {tuple(x.shape)}"
            )
        unbatched = x.dim() == 1
        x = x.unsqueeze(0) if unbatched else x
        shape = (x.shape[0], self.hidden_size)
        if self.mode == "lstm" and hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError("hx of an LSTMCell must be a pair (h_0, c_0) or None")
        states = hx if isinstance(hx, tuple | list) else (hx,)
        states = [x.new_zeros(shape) if s is None else check_tensor(s, "hx") for s in states]
        states = [s.unsqueeze(0) if unbatched else s for s in states]
        for s in states:
            if tuple(s.shape) != shape:
                raise ValueError(f"hidden state must have shape {shape}, got {tuple(s.shape)}")
        _check_dtypes(self, x, states)
        c0 = (states[1] if len(states) > 1 else x.new_zeros(shape)) if self.mode == "lstm" else None
        # one time step, one direction: x is [1, 1, B, I], the states [1, B, H]
        params = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        _, h, c = RecurrentFunction.apply(
            self.mode,
            x[None, None],
            states[0][None],
            None if c0 is None else c0[None],
            *(None if p is None else p[None] for p in params),
        )
        h, c = h[0], c[0] if self.mode == "lstm" else c
        if unbatched:
            h, c = h.squeeze(0), c.squeeze(0) if self.mode == "lstm" else c
        return (h, c) if self.mode == "lstm" else h


class RNNCell(_CellBase):
    r"""One RNN step, like :class:`torch.nn.RNNCell`: ``h' = cell(x, h)``.

    $h' = \tanh(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})$ (or ReLU).
    ``forward(input, hx=None)``: ``(B, I), (B, H) -> (B, H)`` (or unbatched ``(I), (H) -> (H)``);
    ``hx`` is zeros if None.

    :param input_size: $I$, the number of features of $x_t$.
    :param hidden_size: $H$, the number of features of $h_t$.
    :param bias: learn the biases $b_{ih}$ and $b_{hh}$.
    :param nonlinearity: ``"tanh"`` or ``"relu"``.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: object = None, dtype: torch.dtype | None = None) -> None:
        act = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
        super().__init__(f"rnn_{act}", input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)


class LSTMCell(_CellBase):
    r"""One LSTM step, like :class:`torch.nn.LSTMCell`: ``h', c' = cell(x, (h, c))``.

    $c' = f \odot c + i \odot g$, $h' = o \odot \tanh c'$, gates $i, f, g, o$ as in :class:`LSTM`.
    ``forward(input, hx=None)``: ``(B, I) -> (B, H)``: ``input`` and the pair ``(h, c)``, each
    ``(B, H)`` (zeros if None), to ``(h', c')``, each ``(B, H)``; unbatched ``(I)`` and ``(H)`` too.

    :param input_size: $I$, the number of features of $x_t$.
    :param hidden_size: $H$, the number of features of $h_t$.
    :param bias: learn the biases $b_{ih}$ and $b_{hh}$.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: object = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__("lstm", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, (None, None) if hx is None else hx)


class GRUCell(_CellBase):
    r"""One GRU step, like :class:`torch.nn.GRUCell`: ``h' = cell(x, h)``.

    $h' = (1 - z) \odot n + z \odot h$, gates $r, z, n$ as in :class:`GRU`.
    ``forward(input, hx=None)``: ``(B, I), (B, H) -> (B, H)`` (or unbatched ``(I), (H) -> (H)``);
    ``hx`` is zeros if None.

    :param input_size: $I$, the number of features of $x_t$.
    :param hidden_size: $H$, the number of features of $h_t$.
    :param bias: learn the biases $b_{ih}$ and $b_{hh}$.
    :param device: where the parameters are created.
    :param dtype: their dtype.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: object = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__("gru", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)


# --- Gradient clipping ----------------------------------------------------------------------------


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _vector_norm(v: Tensor, p: float) -> Tensor:
    r"""$\|v\|_p = (\sum_i |v_i|^p)^{1/p}$ of a 1-D ``v``; $p = \pm\infty$: $\max / \min |v_i|$;
    $p = 0$: the number of non-zero entries (torch's conventions)."""
    if p == math.inf:
        return v.abs().max()
    if p == -math.inf:
        return v.abs().min()
    if p == 0:
        return (v != 0).sum().to(v.dtype)
    return v.abs().pow(p).sum().pow(1 / p)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    r"""Rescale all gradients together so that their total norm is at most ``max_norm``.

    The total norm is $\|(\|g_1\|_p, \|g_2\|_p, \dots)\|_p$; if it exceeds ``max_norm`` every
    gradient is multiplied by $\text{max\_norm}/(\text{norm} + 10^{-6})$, as in
    :func:`torch.nn.utils.clip_grad_norm_`. Returns the total norm before clipping, a 0-d tensor.
    The gradients keep their shapes: ``(*) -> (*)`` each, in place.

    :param parameters: a tensor or an iterable of tensors, any shapes (those without ``.grad``
        are skipped).
    :param max_norm: the largest total norm allowed, >= 0.
    :param norm_type: $p$, a number or ``"inf"``; $p = \pm\infty$ takes the largest / smallest
        $|g|$, $p = 0$ counts the non-zero norms, as torch does.
    :param error_if_nonfinite: raise if the total norm is NaN or infinite.
    """
    max_norm = check_real(max_norm, "max_norm", min_value=0.0)
    try:
        p = float(norm_type)  # torch also takes the string "inf"
    except (TypeError, ValueError):
        raise ValueError(f"norm_type must be a number or 'inf', got {norm_type!r}") from None
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    norms = torch.stack([_vector_norm(g.detach().flatten(), p) for g in grads])
    total = _vector_norm(norms, p)
    if error_if_nonfinite and not torch.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {p} of the gradients is non-finite, so they cannot be clipped"
        )
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale.to(g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]``, in place, like torch's.

    :param parameters: a tensor or an iterable of tensors (those without ``.grad`` are skipped).
    :param clip_value: the bound, >= 0.
    """
    v = check_real(clip_value, "clip_value", min_value=0.0)
    for g in _grads(parameters):
        g.clamp_(-v, v)


# --- A character-level language model -------------------------------------------------------------


class CharLSTM(nn.Module):
    """A character-level language model: each character id becomes a learned vector
    (``torch.nn.Embedding``, a lookup table), an :class:`LSTM` reads the sequence, and a
    :class:`~nnbasics.layers.Linear` layer turns every hidden state into logits over the
    vocabulary for the next character.

    ``forward(ids, state=None)``: ``(B, T) -> (B, T, vocab_size)``: ids and the LSTM state
    ``(h, c)`` left by the previous call (None to start afresh) to logits and the new state (each
    ``(1, B, hidden_size)``): feeding a sequence in pieces, each with the previous piece's state,
    gives the same logits as feeding it whole, which is how :func:`sample` generates one character
    at a time.

    :param vocab_size: the number of distinct character ids.
    :param hidden_size: the LSTM's $H$.
    :param embedding_dim: the length of each character's learned vector.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 128, embedding_dim: int = 32) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("hidden_size", hidden_size),
                            ("embedding_dim", embedding_dim)):
            check_int(value, name)
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = LSTM(embedding_dim, hidden_size, batch_first=True)
        self.out = Linear(hidden_size, vocab_size)

    def forward(self, ids: Tensor,
                state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        h, state = self.lstm(self.embed(_check_ids(ids, "ids", dim=2)), state)
        return self.out(h), state


def _check_ids(ids: object, name: str, dim: int = 1) -> Tensor:
    if not isinstance(ids, Tensor) or ids.dtype != torch.long or ids.dim() != dim:
        got = f"{ids.dtype} of shape {tuple(ids.shape)}" if isinstance(ids, Tensor) else type(ids).__name__
        raise TypeError(f"{name} must be a {dim}-D int64 tensor of character ids, got {got}")
    return ids


def text_batch(ids: Tensor, batch_size: int = 64, length: int = 64,
               generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """``batch_size`` windows of ``length`` + 1 consecutive ids from random places in ``ids``:
    the inputs ``x`` are each window's first ``length`` ids, the targets ``y`` its last
    ``length``, so ``y[:, t]`` is the character that follows ``x[:, t]``.
    ``(L,) -> (batch_size, length), (batch_size, length)``.

    :param ids: the text as character ids, 1-D int64, ``(L,)`` with ``L > length``.
    :param batch_size: the number of windows $B$.
    :param length: the number of input (and target) ids per window $T$.
    :param generator: the random generator for the start positions (torch's global one if None).
    """
    ids = _check_ids(ids, "ids")
    check_int(batch_size, "batch_size")
    check_int(length, "length")
    if len(ids) < length + 1:
        raise ValueError(f"ids must hold at least length + 1 = {length + 1} characters, got {len(ids)}")
    # a window of length + 1 ids can start at 0, 1, ..., len(ids) - length - 1 (randint's high is
    # exclusive)
    starts = torch.randint(0, len(ids) - length, (batch_size,), generator=generator)
    rows = torch.stack([ids[s:s + length + 1] for s in starts])
    return rows[:, :-1], rows[:, 1:]


def bits_per_char(model: nn.Module, ids: Tensor, generator: torch.Generator | None = None,
                  batch_size: int = 128, length: int = 128) -> float:
    r"""The model's cross-entropy on one :func:`text_batch` of ``ids``, in bits per character:
    $-\frac{1}{BT}\sum \log_2 p(y_{b,t} \mid x_{b,\le t})$, the natural-log cross-entropy
    divided by $\ln 2$. Evaluated in eval mode, without gradients; the model's mode is restored.
    ``(L,) -> ()``, returned as a Python float.

    :param model: a model like :class:`CharLSTM`: ``model(x)`` returns ``(logits, state)``.
    :param ids: the text as character ids, 1-D int64.
    :param generator: the random generator for the batch (torch's global one if None).
    :param batch_size: the number of windows $B$.
    :param length: the number of ids per window $T$.
    """
    x, y = text_batch(ids, batch_size, length, generator)
    with evaluating(model):
        logits, _ = model(x)
        loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return loss.item() / math.log(2)


def sample(model: nn.Module, prompt: Tensor, length: int = 200, temperature: float = 1.0,
           seed: int = 0) -> Tensor:
    r"""Generate ``length`` ids after the ``prompt`` ids (1-D): feed the prompt, draw the next id
    from $\text{softmax}(z / \tau)$ of the last logits $z$ at temperature $\tau$, feed it back
    with the LSTM state, and repeat. $\tau < 1$ sharpens the distribution (towards always taking
    the most likely id), $\tau > 1$ flattens it. Draws come from a generator seeded with ``seed``,
    so a call is reproducible. Returns the prompt followed by the new ids:
    ``(P,) -> (P + length,)``.

    :param model: a model like :class:`CharLSTM`: ``model(ids, state)`` returns ``(logits, state)``.
    :param prompt: the ids to start from, 1-D int64, at least one.
    :param length: how many ids to generate (>= 0).
    :param temperature: $\tau > 0$.
    :param seed: the seed of the draws.
    """
    prompt = _check_ids(prompt, "prompt")
    if len(prompt) == 0:
        raise ValueError("prompt must hold at least one id")
    vocab_size = getattr(model, "vocab_size", None)
    if vocab_size is not None and not bool(((prompt >= 0) & (prompt < vocab_size)).all()):
        raise ValueError(f"prompt ids must be in [0, vocab_size) = [0, {vocab_size}), got ids from "
                         f"{prompt.min().item()} to {prompt.max().item()}")
    check_int(length, "length", min_value=0)
    temperature = check_real(temperature, "temperature", min_value=0.0, allow_min=False)
    generator = torch.Generator().manual_seed(seed)
    out, state, ids = prompt.tolist(), None, prompt.view(1, -1)
    with evaluating(model):
        for _ in range(length):
            logits, state = model(ids, state)
            probs = softmax(logits[0, -1] / temperature, dim=0)
            out.append(torch.multinomial(probs, 1, generator=generator).item())
            ids = torch.tensor([[out[-1]]])
    return torch.tensor(out)
