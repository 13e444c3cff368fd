"""Recurrent layers (RNN, LSTM, GRU) with backpropagation through time written by hand.

Taught in the chapter "Recurrent networks and LSTM". One ``RecurrentFunction`` runs a
whole sequence through one layer in one direction: the forward pass computes every input
projection $x_t W_{ih}^\\top$ with a single matrix product, then loops over time; the backward
pass loops over time in reverse (BPTT), collecting the gradients of the gates, and again forms
the weight gradients with single matrix products. The module classes have ``torch.nn``'s
constructor arguments, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``...), gate
order and return values, so a torch module's ``state_dict`` loads into them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from nnbasics._checks import check_choice, check_real, check_tensor
from nnbasics.activations import _stable_sigmoid as _sigmoid
from nnbasics.activations import _stable_tanh as _tanh

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell", "clip_grad_norm_", "clip_grad_value_"]

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _step(mode, gi, h, c, w_hh, b_hh):
    r"""One time step. ``gi`` is $x_t W_{ih}^\top + b_{ih}$; returns (h, c, what backward needs).

    LSTM: $i, f, g, o$ from $gi + h W_{hh}^\top + b_{hh}$; $c' = f c + i g$, $h' = o \tanh c'$.
    GRU: $r, z$ from the sum; $n = \tanh(gi_n + r\,(h W_{hn}^\top + b_{hn}))$; $h' = (1 - z)\,n + z\,h$.
    RNN: $h' = \tanh$ (or ReLU) of the sum.
    """
    gh = h @ w_hh.T
    if b_hh is not None:
        gh = gh + b_hh
    if mode == "lstm":
        i, f, g, o = (gi + gh).chunk(4, dim=1)
        i, f, g, o = _sigmoid(i), _sigmoid(f), _tanh(g), _sigmoid(o)
        c_new = f * c + i * g
        tc = _tanh(c_new)
        return o * tc, c_new, (i, f, g, o, tc)
    if mode == "gru":
        ir, iz, in_ = gi.chunk(3, dim=1)
        hr, hz, hn = gh.chunk(3, dim=1)
        r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
        n = _tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None, (r, z, n, hn)
    pre = gi + gh
    h_new = _tanh(pre) if mode == "rnn_tanh" else torch.where(pre > 0, pre, 0.0)
    return h_new, None, (h_new,)


def _step_back(mode, dh, dc, h_prev, c_prev, cache):
    """Gradients w.r.t. the input projection (``dgi``), the hidden projection (``dgh``), and the
    direct paths to the previous hidden and cell state."""
    if mode == "lstm":
        i, f, g, o, tc = cache
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        di, df, dg = dc * g, dc * c_prev, dc * i
        dgates = torch.cat([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], dim=1)
        return dgates, dgates, torch.zeros_like(dh), dc * f
    if mode == "gru":
        r, z, n, hn = cache
        dn = dh * (1 - z) * (1 - n * n)
        dz = dh * (h_prev - n) * z * (1 - z)
        dr = dn * hn * r * (1 - r)
        return torch.cat([dr, dz, dn], dim=1), torch.cat([dr, dz, dn * r], dim=1), dh * z, None
    (h_new,) = cache
    dpre = dh * (1 - h_new * h_new) if mode == "rnn_tanh" else dh * (h_new > 0)
    return dpre, dpre, torch.zeros_like(dh), None


class RecurrentFunction(torch.autograd.Function):
    """A whole sequence through one recurrent layer in one direction, with hand-written BPTT.

    Inputs: ``x`` [T, B, I], ``h0`` [B, H], ``c0`` [B, H] (LSTM) or None, the weights.
    Outputs: every hidden state [T, B, H], the last hidden state and the last cell state.
    """

    @staticmethod
    def forward(ctx, mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        steps = x.shape[0]
        gi = x @ w_ih.T  # all time steps' input projections in one matrix product
        if b_ih is not None:
            gi = gi + b_ih
        h, c, hs, cs, caches = h0, c0, [h0], [c0], []
        for t in range(steps):
            h, c, cache = _step(mode, gi[t], h, c, w_hh, b_hh)
            hs.append(h)
            cs.append(c)
            caches.append(cache)
        ctx.mode, ctx.caches, ctx.cs = mode, caches, cs
        ctx.has_bias = (b_ih is not None, b_hh is not None)
        ctx.save_for_backward(x, w_ih, w_hh, torch.stack(hs))
        c_last = c if mode == "lstm" else h.new_zeros(0)
        return torch.stack(hs[1:]), h, c_last

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c):
        x, w_ih, w_hh, hs = ctx.saved_tensors
        mode, caches, cs = ctx.mode, ctx.caches, ctx.cs
        steps = x.shape[0]
        dh = grad_h.clone()
        dc = grad_c.clone() if mode == "lstm" else None
        dgi, dgh = [None] * steps, [None] * steps
        for t in reversed(range(steps)):  # backpropagation through time
            dh = dh + grad_out[t]
            dgi[t], dgh[t], dh_direct, dc = _step_back(mode, dh, dc, hs[t], cs[t], caches[t])
            dh = dh_direct + dgh[t] @ w_hh
        dgi, dgh = torch.stack(dgi), torch.stack(dgh)  # [T, B, gates * H]
        flat_i, flat_h = dgi.reshape(-1, dgi.shape[-1]), dgh.reshape(-1, dgh.shape[-1])
        grad_x = dgi @ w_ih
        grad_w_ih = flat_i.T @ x.reshape(-1, x.shape[-1])
        grad_w_hh = flat_h.T @ hs[:-1].reshape(-1, hs.shape[-1])
        grad_b_ih = flat_i.sum(0) if ctx.has_bias[0] else None
        grad_b_hh = flat_h.sum(0) if ctx.has_bias[1] else None
        grad_c0 = dc if mode == "lstm" else None
        return None, grad_x, dh, grad_c0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh


class _RecurrentBase(nn.Module):
    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if check_real(dropout, "dropout", min_value=0.0, max_value=1.0) != 0.0:
            raise ValueError(
                "dropout between recurrent layers is not implemented here: use dropout=0 "
                "and nnbasics.regularization.Dropout on the outputs"
            )
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = 0.0, bidirectional
        directions = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size
        self._names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, layer_input), (gate_size, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                for name, shape in zip(names, shapes, strict=True):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape)))
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
        h0, c0 = self._initial_state(hx, state_shape, x, unbatched)
        hn, cn, layer_input = [], [], x
        for layer in range(self.num_layers):
            outputs = []
            for d in range(directions):
                k = layer * directions + d
                w_ih, w_hh, *b = (getattr(self, n) for n in self._names[k])
                b_ih, b_hh = (b[0], b[1]) if self.bias else (None, None)
                seq = layer_input.flip(0) if d == 1 else layer_input
                out, h, c = RecurrentFunction.apply(
                    self.mode, seq, h0[k], None if c0 is None else c0[k], w_ih, w_hh, b_ih, b_hh
                )
                outputs.append(out.flip(0) if d == 1 else out)
                hn.append(h)
                cn.append(c)
            layer_input = torch.cat(outputs, dim=2) if directions == 2 else outputs[0]
        output, h_n = layer_input, torch.stack(hn)
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        if self.mode == "lstm":
            c_n = torch.stack(cn)
            return output, (h_n, c_n.squeeze(1) if unbatched else c_n)
        return output, h_n

    def _initial_state(self, hx, shape, x, unbatched):
        def check(t, name):
            t = check_tensor(t, name)
            t = t.unsqueeze(1) if unbatched else t
            if tuple(t.shape) != shape:
                expected = (shape[0], shape[2]) if unbatched else shape
                raise ValueError(
                    f"{name} must have shape {expected} (num_layers * num_directions, batch, "
                    f"hidden_size), got {tuple(t.shape if not unbatched else t.squeeze(1).shape)}"
                )
            return t

        zeros = x.new_zeros(shape)
        if self.mode == "lstm":
            if hx is None:
                return zeros, zeros.clone()
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise TypeError("an LSTM's initial state must be a pair (h_0, c_0)")
            return check(hx[0], "h_0"), check(hx[1], "c_0")
        return (zeros if hx is None else check(hx, "h_0")), None

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
        return text


class RNN(_RecurrentBase):
    r"""Elman RNN, like :class:`torch.nn.RNN`.

    $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1}W_{hh}^\top + b_{hh})$ (or ReLU).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        act = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
        super().__init__(
            f"rnn_{act}", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional
        )
        self.nonlinearity = act


class LSTM(_RecurrentBase):
    r"""LSTM, like :class:`torch.nn.LSTM` (gates in torch's order $i, f, g, o$):
    $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, $h_t = o_t \odot \tanh(c_t)$."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__(
            "lstm", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional
        )


class GRU(_RecurrentBase):
    r"""GRU, like :class:`torch.nn.GRU` (gates $r, z, n$):
    $n_t = \tanh(W_{in}x_t + b_{in} + r_t \odot (W_{hn}h_{t-1} + b_{hn}))$,
    $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__(
            "gru", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional
        )


class _CellBase(nn.Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bias
        gate_size = GATES[mode] * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gate_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gate_size, hidden_size))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gate_size))
            self.bias_hh = nn.Parameter(torch.empty(gate_size))
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
        states = hx if isinstance(hx, tuple | list) else (hx,)
        states = [x.new_zeros(shape) if s is None else check_tensor(s, "hx") for s in states]
        states = [s.unsqueeze(0) if unbatched else s for s in states]
        for s in states:
            if tuple(s.shape) != shape:
                raise ValueError(f"hidden state must have shape {shape}, got {tuple(s.shape)}")
        c0 = (states[1] if len(states) > 1 else x.new_zeros(shape)) if self.mode == "lstm" else None
        _, h, c = RecurrentFunction.apply(
            self.mode,
            x.unsqueeze(0),
            states[0],
            c0,
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
        )
        if unbatched:
            h, c = h.squeeze(0), c.squeeze(0) if self.mode == "lstm" else c
        return (h, c) if self.mode == "lstm" else h


class RNNCell(_CellBase):
    """One RNN step, like :class:`torch.nn.RNNCell`: ``h' = cell(x, h)``."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"
    ) -> None:
        super().__init__(
            f"rnn_{check_choice(nonlinearity, 'nonlinearity', ('tanh', 'relu'))}",
            input_size,
            hidden_size,
            bias,
        )
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)


class LSTMCell(_CellBase):
    """One LSTM step, like :class:`torch.nn.LSTMCell`: ``h', c' = cell(x, (h, c))``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__("lstm", input_size, hidden_size, bias)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, (None, None) if hx is None else hx)


class GRUCell(_CellBase):
    """One GRU step, like :class:`torch.nn.GRUCell`: ``h' = cell(x, h)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__("gru", input_size, hidden_size, bias)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)


# --- Gradient clipping ----------------------------------------------------------------------------


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    r"""Rescale all gradients together so that their total norm is at most ``max_norm``.

    The total norm is $\|(\|g_1\|_p, \|g_2\|_p, \dots)\|_p$; if it exceeds ``max_norm`` every
    gradient is multiplied by $\text{max\_norm}/(\text{norm} + 10^{-6})$, as in
    :func:`torch.nn.utils.clip_grad_norm_`. Returns the total norm before clipping.
    """
    max_norm = check_real(max_norm, "max_norm", min_value=0.0)
    p = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    if math.isinf(p):
        total = torch.stack([g.detach().abs().max() for g in grads]).max()
    else:
        total = torch.stack([g.detach().abs().pow(p).sum() for g in grads]).sum().pow(1 / p)
    if error_if_nonfinite and not torch.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {p} of the gradients is non-finite, so they cannot be clipped"
        )
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale.to(g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]``, like torch's."""
    v = check_real(clip_value, "clip_value", min_value=0.0)
    for g in _grads(parameters):
        g.clamp_(-v, v)
