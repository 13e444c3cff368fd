r"""Recurrent layers (RNN, LSTM, GRU) built from one time step with its backward pass written by hand.

Taught in the chapter "Recurrent networks and LSTM". Each cell is one ``torch.autograd.Function``
holding one time step, its forward and backward side by side, one equation a line
(:class:`RNNStep`, :class:`LSTMStep`, :class:`GRUStep`). A layer runs a whole sequence as a visible
loop over that step (:func:`rnn_forward`, :func:`lstm_forward`, :func:`gru_forward`):
backpropagation through time is autograd calling each step's hand-written backward in reverse
order. The input projections $x_t W_{ih}^\top + b_{ih}$ of all steps are one matrix product
before the loop (as cuDNN does), so a step receives its row of them.

The module classes (:class:`RNN`, :class:`LSTM`, :class:`GRU` and the cells) are thin wrappers
around those loops with ``torch.nn``'s constructor arguments, parameter names (``weight_ih_l0``,
``bias_hh_l1_reverse``...), gate order and return values, so a torch module's ``state_dict``
loads into them.

:func:`input_gradients` measures how much a layer's last output depends on each earlier input, and
:func:`state_jacobians` the Jacobians of an RNN's last state with respect to the earlier ones,
through time (the section "Vanishing and exploding gradients through time").

:func:`truncated_forward` runs a layer in chunks with the state detached between them (truncated
backpropagation through time, the page "A long-lag task").

The last section holds the character-level language model of the page "A character-level
language model": :class:`CharLSTM`, its training batches (:func:`text_batch`), its measure
(:func:`bits_per_char`), its training loop (:func:`train_language_model`) and text generation
with a temperature (:func:`sample`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from nnbasics import init
from nnbasics._checks import (
    check_choice,
    check_ids,
    check_int,
    check_module,
    check_optimizer,
    check_real,
    check_tensor,
)
from nnbasics.activations import softmax
from nnbasics.layers import Linear, LinearFunction
from nnbasics.losses import cross_entropy
from nnbasics.numerics import sigmoid, tanh
from nnbasics.training import train_step
from nnbasics.utils import evaluating, progress_bar

__all__ = ["GRU", "LSTM", "RNN", "CharLSTM", "GRUCell", "GRUStep", "LSTMCell", "LSTMStep", "RNNCell",
           "RNNStep", "bits_per_char", "clip_grad_norm_", "clip_grad_value_", "gru_forward",
           "input_gradients", "lstm_forward", "lstm_gates", "rnn_forward", "sample", "state_jacobians",
           "text_batch", "train_language_model", "truncated_forward"]

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}  # blocks of H rows in weight_ih

# --- One time step of each cell, forward and backward side by side -------------------------------


class RNNStep(torch.autograd.Function):
    r"""One step of the vanilla RNN: $h_t = \tanh(a_t)$ (or $\max(0, a_t)$), with
    $a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}$.

    ``(B, H), (B, H) -> (B, H)``: $x_t W_{ih}^\top + b_{ih} + b_{hh}$ and $h_{t-1}$ to $h_t$.

    :param x_proj: $x_t W_{ih}^\top + b_{ih} + b_{hh}$, ``(B, H)`` (the layer computes all steps'
        at once; both biases come before the nonlinearity, so they are added there).
    :param h: $h_{t-1}$, ``(B, H)``.
    :param w_hh: $W_{hh}$, ``(H, H)``.
    :param relu: ReLU instead of tanh.

    Backward, from $dh_t = \partial L/\partial h_t$: $da_t = dh_t \odot (1 - h_t^2)$ (tanh) or
    $dh_t \odot [h_t > 0]$ (ReLU); $dh_{t-1} = da_t W_{hh}$, $dW_{hh} = da_t^\top h_{t-1}$, and
    $da_t$ itself for ``x_proj`` (whose backward gives $dW_{ih}$, $db_{ih}$ and $db_{hh}$).
    """

    @staticmethod
    def forward(ctx, x_proj, h, w_hh, relu=False):
        a_t = x_proj + h @ w_hh.T
        h_t = a_t.clamp(min=0) if relu else tanh(a_t)
        ctx.save_for_backward(h, w_hh, h_t)
        ctx.relu = relu
        return h_t

    @staticmethod
    @once_differentiable
    def backward(ctx, dh_t):
        h, w_hh, h_t = ctx.saved_tensors
        da_t = dh_t * (h_t > 0) if ctx.relu else dh_t * (1 - h_t * h_t)
        return da_t, da_t @ w_hh, da_t.T @ h, None


class LSTMStep(torch.autograd.Function):
    r"""One LSTM step, gates in torch's order $i, f, g, o$:
    $(a_i, a_f, a_g, a_o) = x_t W_{ih}^\top + b_{ih} + b_{hh} + h_{t-1} W_{hh}^\top$,
    $i_t = \sigma(a_i)$, $f_t = \sigma(a_f)$, $g_t = \tanh(a_g)$, $o_t = \sigma(a_o)$,
    $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, $h_t = o_t \odot \tanh c_t$.

    ``(B, 4H), (B, H), (B, H) -> (B, H), (B, H)``: $x_t W_{ih}^\top + b_{ih} + b_{hh}$,
    $h_{t-1}$, $c_{t-1}$ to $h_t$, $c_t$.

    :param x_proj: $x_t W_{ih}^\top + b_{ih} + b_{hh}$, ``(B, 4H)`` (the layer computes all
        steps' at once; both biases come before any nonlinearity, so they are added there).
    :param h: $h_{t-1}$, ``(B, H)``.
    :param c: $c_{t-1}$, ``(B, H)``.
    :param w_hh: $W_{hh}$, ``(4H, H)``, the blocks of $i, f, g, o$ stacked.

    Backward, from $dh_t$ and $dc_t$ (the gradient reaching $c_t$ from step $t + 1$):
    $dc_t \mathrel{+}= dh_t \odot o_t \odot (1 - \tanh^2 c_t)$; with $\sigma' = \sigma(1 - \sigma)$,
    $da_i = dc_t\, g_t\, \sigma'(a_i)$, $da_f = dc_t\, c_{t-1}\, \sigma'(a_f)$,
    $da_g = dc_t\, i_t\, (1 - g_t^2)$, $da_o = dh_t \tanh c_t\, \sigma'(a_o)$;
    $dh_{t-1} = da\, W_{hh}$, $dc_{t-1} = dc_t \odot f_t$, $dW_{hh} = da^\top h_{t-1}$, and $da$
    itself for ``x_proj``.
    """

    @staticmethod
    def forward(ctx, x_proj, h, c, w_hh):
        a_i, a_f, a_g, a_o = (x_proj + h @ w_hh.T).chunk(4, dim=1)
        i_t, f_t, g_t, o_t = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
        c_t = f_t * c + i_t * g_t
        tanh_c_t = tanh(c_t)
        h_t = o_t * tanh_c_t
        ctx.save_for_backward(h, c, w_hh, i_t, f_t, g_t, o_t, tanh_c_t)
        return h_t, c_t

    @staticmethod
    @once_differentiable
    def backward(ctx, dh_t, dc_t):
        h, c, w_hh, i_t, f_t, g_t, o_t, tanh_c_t = ctx.saved_tensors
        dc_t = dc_t + dh_t * o_t * (1 - tanh_c_t * tanh_c_t)
        da_i = dc_t * g_t * i_t * (1 - i_t)
        da_f = dc_t * c * f_t * (1 - f_t)
        da_g = dc_t * i_t * (1 - g_t * g_t)
        da_o = dh_t * tanh_c_t * o_t * (1 - o_t)
        da = torch.cat([da_i, da_f, da_g, da_o], dim=1)  # (B, 4H), gate order i, f, g, o
        return da, da @ w_hh, dc_t * f_t, da.T @ h


class GRUStep(torch.autograd.Function):
    r"""One GRU step, gates in torch's order $r, z, n$: with $(a_{ir}, a_{iz}, a_{in}) =
    x_t W_{ih}^\top + b_{ih}$ and $(a_{hr}, a_{hz}, a_{hn}) = h_{t-1} W_{hh}^\top + b_{hh}$,
    $r_t = \sigma(a_{ir} + a_{hr})$, $z_t = \sigma(a_{iz} + a_{hz})$,
    $n_t = \tanh(a_{in} + r_t \odot a_{hn})$, $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$.

    ``(B, 3H), (B, H) -> (B, H)``: $x_t W_{ih}^\top + b_{ih}$ and $h_{t-1}$ to $h_t$.

    :param x_proj: $x_t W_{ih}^\top + b_{ih}$, ``(B, 3H)`` (the layer computes all steps' at once).
    :param h: $h_{t-1}$, ``(B, H)``.
    :param w_hh: $W_{hh}$, ``(3H, H)``, the blocks of $r, z, n$ stacked.
    :param b_hh: $b_{hh}$, ``(3H,)``.

    Backward, from $dh_t$: $dn = dh_t (1 - z_t)(1 - n_t^2)$, $dz = dh_t (h_{t-1} - n_t)\,\sigma'$,
    $dr = dn\, a_{hn}\, \sigma'$; ``x_proj`` gets $(dr, dz, dn)$ and $h_{t-1} W_{hh}^\top + b_{hh}$
    gets $(dr, dz, dn \odot r_t)$ $= da_h$; $dh_{t-1} = dh_t \odot z_t + da_h W_{hh}$,
    $dW_{hh} = da_h^\top h_{t-1}$, $db_{hh} = \sum_b da_h$.
    """

    @staticmethod
    def forward(ctx, x_proj, h, w_hh, b_hh):
        a_ir, a_iz, a_in = x_proj.chunk(3, dim=1)
        a_hr, a_hz, a_hn = (h @ w_hh.T + b_hh).chunk(3, dim=1)
        r_t = sigmoid(a_ir + a_hr)
        z_t = sigmoid(a_iz + a_hz)
        n_t = tanh(a_in + r_t * a_hn)
        h_t = (1 - z_t) * n_t + z_t * h
        ctx.save_for_backward(h, w_hh, r_t, z_t, n_t, a_hn)
        return h_t

    @staticmethod
    @once_differentiable
    def backward(ctx, dh_t):
        h, w_hh, r_t, z_t, n_t, a_hn = ctx.saved_tensors
        dn = dh_t * (1 - z_t) * (1 - n_t * n_t)
        dz = dh_t * (h - n_t) * z_t * (1 - z_t)
        dr = dn * a_hn * r_t * (1 - r_t)
        da_i = torch.cat([dr, dz, dn], dim=1)  # (B, 3H), gate order r, z, n
        da_h = torch.cat([dr, dz, dn * r_t], dim=1)
        return da_i, dh_t * z_t + da_h @ w_hh, da_h.T @ h, da_h.sum(0)


# --- A whole sequence: a loop over the step ------------------------------------------------------
# x is (T, B, I). The input projections of all T steps are one matrix product (LinearFunction);
# then each step is one call of the cell's Function. Backpropagation through time is autograd
# calling each step's backward in reverse order, and adding every step's dW_hh into W_hh.grad.
# unbind cuts the projections into steps with one autograd node (indexing x_proj[t] of the tensor
# would make each step's backward fill a (T, B, G) tensor of zeros around its row).


def rnn_forward(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor,
                nonlinearity: str = "tanh") -> tuple[Tensor, Tensor]:
    r"""An RNN layer over a sequence, one direction: ``(T, B, I), (B, H) -> (T, B, H), (B, H)``,
    $x_1 \dots x_T$ and $h_0$ to $h_1 \dots h_T$ and $h_T$.

    :param x: the inputs, ``(T, B, I)``.
    :param h: $h_0$, ``(B, H)``.
    :param w_ih: $W_{ih}$, ``(H, I)``.
    :param w_hh: $W_{hh}$, ``(H, H)``.
    :param b_ih: $b_{ih}$, ``(H,)``, or None.
    :param b_hh: $b_{hh}$, ``(H,)`` (zeros for a layer without biases).
    :param nonlinearity: ``"tanh"`` or ``"relu"``.
    """
    bias = b_hh if b_ih is None else b_ih + b_hh
    # x_t W_ih^T + b_ih + b_hh for every t in one matrix product, (T, B, H), cut into T rows (B, H)
    x_proj = LinearFunction.apply(x, w_ih, bias).unbind(0)
    hs = []
    for t in range(len(x)):
        h = RNNStep.apply(x_proj[t], h, w_hh, nonlinearity == "relu")
        hs.append(h)
    return torch.stack(hs), h


def lstm_forward(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor, w_hr: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    r"""An LSTM layer over a sequence, one direction: ``(T, B, I), (B, H), (B, H) -> (T, B, H),
    (B, H), (B, H)``, $x_1 \dots x_T$, $h_0$ and $c_0$ to $h_1 \dots h_T$, $h_T$ and $c_T$.

    :param x: the inputs, ``(T, B, I)``.
    :param h: $h_0$, ``(B, H)`` (``(B, P)`` with a projection).
    :param c: $c_0$, ``(B, H)``.
    :param w_ih: $W_{ih}$, ``(4H, I)``.
    :param w_hh: $W_{hh}$, ``(4H, H)`` (``(4H, P)`` with a projection).
    :param b_ih: $b_{ih}$, ``(4H,)``, or None.
    :param b_hh: $b_{hh}$, ``(4H,)`` (zeros for a layer without biases).
    :param w_hr: the projection $W_{hr}$, ``(P, H)``, or None: then
        $h_t = (o_t \odot \tanh c_t)\, W_{hr}^\top$ has $P$ features, as torch's ``proj_size``.
    """
    bias = b_hh if b_ih is None else b_ih + b_hh
    # x_t W_ih^T + b_ih + b_hh for every t in one matrix product, (T, B, 4H), cut into T rows
    x_proj = LinearFunction.apply(x, w_ih, bias).unbind(0)
    hs = []
    for t in range(len(x)):
        h, c = LSTMStep.apply(x_proj[t], h, c, w_hh)
        if w_hr is not None:
            h = LinearFunction.apply(h, w_hr, None)
        hs.append(h)
    return torch.stack(hs), h, c


def gru_forward(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                b_hh: Tensor) -> tuple[Tensor, Tensor]:
    r"""A GRU layer over a sequence, one direction: ``(T, B, I), (B, H) -> (T, B, H), (B, H)``,
    $x_1 \dots x_T$ and $h_0$ to $h_1 \dots h_T$ and $h_T$.

    :param x: the inputs, ``(T, B, I)``.
    :param h: $h_0$, ``(B, H)``.
    :param w_ih: $W_{ih}$, ``(3H, I)``.
    :param w_hh: $W_{hh}$, ``(3H, H)``.
    :param b_ih: $b_{ih}$, ``(3H,)``, or None.
    :param b_hh: $b_{hh}$, ``(3H,)`` (zeros for a layer without biases).
    """
    # x_t W_ih^T + b_ih for every t in one matrix product, (T, B, 3H), cut into T rows (B, 3H)
    x_proj = LinearFunction.apply(x, w_ih, b_ih).unbind(0)
    hs = []
    for t in range(len(x)):
        h = GRUStep.apply(x_proj[t], h, w_hh, b_hh)
        hs.append(h)
    return torch.stack(hs), h


# --- The torch-compatible modules: thin wrappers around the loops ---------------------------------


def lstm_gates(layer: LSTM, input: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    r"""The gates $i_t, f_t, g_t, o_t$ of every step of a one-layer, one-direction :class:`LSTM`
    on ``input`` (from $h_0 = c_0 = 0$), as its own steps computed them: :func:`lstm_forward` runs
    and builds its graph, in which each :class:`LSTMStep` node keeps, for its backward pass, the
    tensors it saved (``h, c, w_hh, i_t, f_t, g_t, o_t, tanh_c_t``); the gates are read from there.
    No formula is computed twice. Each gate: ``(N, T, I) -> (N, T, H)`` with ``batch_first``,
    else ``(T, N, I) -> (T, N, H)``.

    :param layer: an :class:`LSTM` with ``num_layers=1``, one direction and no ``proj_size``.
    :param input: a batch of sequences, laid out as ``layer`` takes them.
    """
    if not isinstance(layer, LSTM) or layer.num_layers != 1 or layer.bidirectional or layer.proj_size:
        raise TypeError("layer must be a one-layer, one-direction nnbasics.recurrent.LSTM without "
                        f"proj_size, got {layer!r}")
    x = check_tensor(input, "input")
    if x.dim() != 3 or x.shape[-1] != layer.input_size:
        raise ValueError(f"input must be a batch of sequences [{'N, T' if layer.batch_first else 'T, N'}, "
                         f"{layer.input_size}], got {tuple(x.shape)}")
    seq = x.transpose(0, 1) if layer.batch_first else x  # (T, N, I)
    h0 = seq.new_zeros(seq.shape[1], layer.hidden_size)
    with torch.enable_grad():  # a Function saves its tensors only when it builds a graph
        hs, _, _ = lstm_forward(seq.detach().requires_grad_(), h0, h0, *layer._weights(0))
    # hs = torch.stack([h_1, ..., h_T]): its node's inputs are the T steps' nodes, in order
    saved = [step.saved_tensors[3:7] for step, _ in hs.grad_fn.next_functions]
    gates = (torch.stack([step[k] for step in saved]).detach() for k in range(4))  # each (T, N, H)
    return tuple(g.transpose(0, 1) if layer.batch_first else g for g in gates)


def _check_dtypes(module: nn.Module, x: Tensor, states: list[Tensor]) -> None:
    """One dtype for the input, the states and the weights, else a clear TypeError."""
    weight = module.weight_ih if hasattr(module, "weight_ih") else module.weight_ih_l0
    for name, t in [("input", x), ("hx", *states[:1]), ("c_0", *states[1:2])][: 1 + len(states)]:
        if t.dtype != weight.dtype:
            raise TypeError(
                f"{name} has dtype {t.dtype} but the {type(module).__name__}'s weights are "
                f"{weight.dtype}: convert one of them, e.g. module.to({t.dtype})"
            )


def _reset_parameters(module: nn.Module) -> None:
    r"""torch's initialization: every parameter from $\mathcal U(-1/\sqrt H, 1/\sqrt H)$."""
    bound = 1 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class _RecurrentBase(nn.Module):
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
        gate_size = GATES[mode] * hidden_size
        out_size = proj_size or hidden_size  # the size of h_t
        factory = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * self.directions
            for suffix in self.suffixes:
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes |= {"bias_ih": (gate_size,), "bias_hh": (gate_size,)}
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    parameter = nn.Parameter(torch.empty(shape, **factory))
                    self.register_parameter(f"{name}_l{layer}{suffix}", parameter)
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The parameter names' direction suffixes: ``""`` forwards, ``"_reverse"`` backwards."""
        return ("", "_reverse")[: self.directions]

    def reset_parameters(self) -> None:
        _reset_parameters(self)

    def _weights(self, layer: int, suffix: str = ""):
        """``w_ih, w_hh, b_ih, b_hh, w_hr`` of one layer and direction, by their torch names
        (``b_ih`` is None and ``b_hh`` zeros with ``bias=False``; ``w_hr`` is None without
        ``proj_size``)."""
        w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
        w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
        b_ih = getattr(self, f"bias_ih_l{layer}{suffix}") if self.bias else None
        b_hh = getattr(self, f"bias_hh_l{layer}{suffix}") if self.bias else w_hh.new_zeros(w_hh.shape[0])
        w_hr = getattr(self, f"weight_hr_l{layer}{suffix}") if self.proj_size else None
        return w_ih, w_hh, b_ih, b_hh, w_hr

    def _sequence(self, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
        """One direction of one layer over the sequence: the kind's loop (RNN, LSTM or GRU)."""
        raise NotImplementedError

    def _layer(self, layer: int, x: Tensor, h0: Tensor, c0: Tensor | None):
        """One layer, every direction: ``x (T, B, I)``, ``h0``, ``c0`` ``(D, B, H)`` ``->``
        ``(T, B, D * H)``, ``h_T`` and ``c_T`` ``(D, B, H)`` (``c_T`` None but for an LSTM)."""
        outs, hs, cs = [], [], []
        for k, suffix in enumerate(self.suffixes):
            reverse = suffix == "_reverse"  # the reverse direction reads the sequence backwards
            out, h, c = self._sequence(x.flip(0) if reverse else x, h0[k], None if c0 is None else c0[k],
                                       *self._weights(layer, suffix))
            outs.append(out.flip(0) if reverse else out)
            hs.append(h)
            cs.append(c)
        return torch.cat(outs, dim=2), torch.stack(hs), None if c0 is None else torch.stack(cs)

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
        directions = self.directions
        state_shape = (self.num_layers * directions, x.shape[1], self.hidden_size)
        h_shape = (*state_shape[:2], self.proj_size or self.hidden_size)
        h0, c0 = self._initial_state(hx, h_shape, state_shape, x, unbatched)
        _check_dtypes(self, x, [h0] if c0 is None else [h0, c0])
        hn, cn = [], []
        for layer in range(self.num_layers):
            k = slice(layer * directions, (layer + 1) * directions)
            x, h, c = self._layer(layer, x, h0[k], None if c0 is None else c0[k])
            hn.append(h)
            cn.append(c)
        output, h_n = x, torch.cat(hn)
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        if self.mode == "lstm":
            c_n = torch.cat(cn)
            return output, (h_n, c_n.squeeze(1) if unbatched else c_n)
        return output, h_n

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
    r"""Elman RNN, like :class:`torch.nn.RNN`, a loop over :class:`RNNStep` (:func:`rnn_forward`).

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

    def _sequence(self, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
        return *rnn_forward(x, h, w_ih, w_hh, b_ih, b_hh, self.nonlinearity), None


class LSTM(_RecurrentBase):
    r"""LSTM, like :class:`torch.nn.LSTM` (gates in torch's order $i, f, g, o$), a loop over
    :class:`LSTMStep` (:func:`lstm_forward`):
    $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, $h_t = o_t \odot \tanh(c_t)$.

    With ``proj_size`` $P > 0$, $h_t = (o_t \odot \tanh c_t)\,W_{hr}^\top$ has $P$ features
    (``weight_hr_l0`` ``(P, H)``), as in torch.

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

    def _sequence(self, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
        return lstm_forward(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr)


class GRU(_RecurrentBase):
    r"""GRU, like :class:`torch.nn.GRU` (gates $r, z, n$), a loop over :class:`GRUStep`
    (:func:`gru_forward`):
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

    def _sequence(self, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
        return *gru_forward(x, h, w_ih, w_hh, b_ih, b_hh), None


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
        _reset_parameters(self)

    def _run(self, input: Tensor, hx, step):
        """Check the shapes and call ``step(x, states, b_ih, b_hh)`` once (``b_hh`` zeros without
        biases); unbatched in, unbatched out."""
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
        b_hh = self.bias_hh if self.bias else self.weight_hh.new_zeros(self.weight_hh.shape[0])
        out = step(x, states, self.bias_ih, b_hh)
        return tuple(o.squeeze(0) for o in out) if unbatched and isinstance(out, tuple) else (
            out.squeeze(0) if unbatched else out)


class RNNCell(_CellBase):
    r"""One RNN step, like :class:`torch.nn.RNNCell`: ``h' = cell(x, h)``, one call of :class:`RNNStep`.

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
        def step(x, states, b_ih, b_hh):
            x_proj = LinearFunction.apply(x, self.weight_ih, b_hh if b_ih is None else b_ih + b_hh)
            return RNNStep.apply(x_proj, *states, self.weight_hh, self.nonlinearity == "relu")

        return self._run(input, hx, step)


class LSTMCell(_CellBase):
    r"""One LSTM step, like :class:`torch.nn.LSTMCell`: ``h', c' = cell(x, (h, c))``, one call of
    :class:`LSTMStep`.

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
        def step(x, states, b_ih, b_hh):
            x_proj = LinearFunction.apply(x, self.weight_ih, b_hh if b_ih is None else b_ih + b_hh)
            return LSTMStep.apply(x_proj, *states, self.weight_hh)

        return self._run(input, (None, None) if hx is None else hx, step)


class GRUCell(_CellBase):
    r"""One GRU step, like :class:`torch.nn.GRUCell`: ``h' = cell(x, h)``, one call of :class:`GRUStep`.

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
        def step(x, states, b_ih, b_hh):
            return GRUStep.apply(LinearFunction.apply(x, self.weight_ih, b_ih), *states, self.weight_hh, b_hh)

        return self._run(input, hx, step)


# --- How far back the gradient reaches: through time ----------------------------------------------


def input_gradients(layer: Callable[[Tensor], Tensor | tuple], steps: int = 60, input_size: int = 4,
                    seed: int = 0, dtype: torch.dtype | None = None) -> Tensor:
    r"""How much a layer's last output depends on each input: the norms
    $\bigl\|\partial \bigl(\sum_j y_{T,j}\bigr) / \partial x_{T-k}\bigr\|$ for $k = 0, \dots, T - 1$,
    on one random sequence $x_1, \dots, x_T$ with $\mathcal N(0, 1)$ entries (seeded, so every call
    with the same ``seed`` reads the same sequence). Index $k$ is the input $k$ steps back from
    the last, index 0 the last itself. Computed with ``torch.autograd.grad``: the layer's
    parameters' ``.grad`` are left alone.

    ``(T, 1, I) -> (T,)``: the layer maps the sequence ``(T, 1, I)`` to outputs ``(T, 1, H)``.

    :param layer: a layer or function of the sequence, time first, as :class:`RNN`, :class:`LSTM`
        or :class:`GRU` (``batch_first=False``) read it; its result is the outputs ``(T, ...)``,
        or a tuple whose first item they are, as those layers and
        :class:`~nnbasics.attention.MultiheadAttention` return.
    :param steps: $T$, the length of the sequence.
    :param input_size: $I$, the number of features of each $x_t$.
    :param seed: the seed of the sequence's draw.
    :param dtype: the sequence's dtype (torch's default if None): the layer's.
    """
    if not callable(layer):
        raise TypeError(f"layer must be a layer or a function of the sequence, got {type(layer).__name__}")
    check_int(steps, "steps")
    check_int(input_size, "input_size")
    check_int(seed, "seed", min_value=0)
    x = torch.randn(steps, 1, input_size, generator=torch.Generator().manual_seed(seed), dtype=dtype,
                    requires_grad=True)
    out = layer(x)
    out = out[0] if isinstance(out, tuple) else out
    if not isinstance(out, Tensor) or out.dim() < 1 or len(out) != steps or not out.requires_grad:
        got = f"shape {tuple(out.shape)}" if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(f"layer must return the outputs of the {steps} steps, (T, ...) with T = {steps}, "
                         f"computed with gradients from its input, got {got}")
    (grad,) = torch.autograd.grad(out[-1].sum(), x, allow_unused=True)
    if grad is None:
        raise ValueError("layer's last output does not depend on its input: no gradient reaches it")
    return grad.norm(dim=(1, 2)).flip(0)  # index k: the input k steps back


def state_jacobians(hs: Tensor, w_hh: Tensor, nonlinearity: str = "tanh") -> Tensor:
    r"""The Jacobians of a vanilla RNN's last state with respect to each earlier one, from the states
    $h_1, \dots, h_T$ of one sequence: for $k = 1, \dots, T$,

    $J_k = \partial h_T / \partial h_{T-k} = D_T W_{hh}\, D_{T-1} W_{hh} \cdots D_{T-k+1} W_{hh}$,
    $D_s = \operatorname{diag}(1 - h_s^2)$ for tanh, $\operatorname{diag}([h_s > 0])$ for ReLU:
    the factors :class:`RNNStep`'s backward applies one at a time (transposed, to a row of
    gradients). :func:`nnbasics.init.jacobian_products` multiplies them from the last state down,
    the same $W_{hh}$ at every step, as it multiplies the $D_l W_l$ of a stack of layers.

    ``(T, H), (H, H) -> (T, H, H)``: $J_k$ at index $k - 1$; $J_T = \partial h_T / \partial h_0$.

    :param hs: the states $h_1, \dots, h_T$ of one sequence, ``(T, H)`` (for the first sequence of a
        batch, ``output[:, 0]`` of an :class:`RNN`).
    :param w_hh: $W_{hh}$, ``(H, H)``, of the states' dtype.
    :param nonlinearity: the RNN's, ``"tanh"`` or ``"relu"``.
    """
    act = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
    if check_tensor(hs, "hs").dim() != 2:
        raise ValueError(f"hs must be the states of one sequence, (T, H), got shape {tuple(hs.shape)}")
    if check_tensor(w_hh, "w_hh").shape != (hs.shape[1], hs.shape[1]):
        raise ValueError(f"w_hh must be (H, H) = {(hs.shape[1], hs.shape[1])} for states hs of {hs.shape[1]} "
                         f"units, got shape {tuple(w_hh.shape)}")
    if w_hh.dtype != hs.dtype:
        raise TypeError(f"w_hh must have the dtype of hs, {hs.dtype}, got {w_hh.dtype}")
    derivatives = 1 - hs * hs if act == "tanh" else (hs > 0).to(hs.dtype)  # the diagonals of D_1 ... D_T
    return torch.stack(init.jacobian_products(w_hh, derivatives, from_output=True))


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


# --- Truncated backpropagation through time -------------------------------------------------------


def _detach(state: Tensor | tuple[Tensor, ...]) -> Tensor | tuple[Tensor, ...]:
    """The same state values with no gradient path back to the steps that made them."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def truncated_forward(module: nn.Module, input: Tensor, k: int,
                      hx: Tensor | tuple[Tensor, Tensor] | None = None):
    r"""Run a recurrent layer over ``input`` in chunks of ``k`` steps, detaching the state between
    chunks: truncated backpropagation through time. The outputs are the values of
    ``module(input, hx)``; only the gradients change: the gradient of an output at step $t$
    reaches back to the start of $t$'s chunk and no further, so each gradient path crosses at
    most ``k`` steps. Run over a whole sequence, it still builds every chunk's graph and keeps it
    until the backward pass; to hold only ``k`` steps, call it on one chunk at a time,
    backpropagate that chunk's loss, and pass the returned state as ``hx`` to the next call.

    ``(T, B, I) -> (T, B, H)`` (``(B, T, I) -> (B, T, H)`` with ``batch_first``), plus the last
    state, as the module returns them.

    :param module: a recurrent layer such as :class:`RNN`, :class:`LSTM` or :class:`GRU`:
        ``module(chunk, state)`` returns ``(outputs, state)``.
    :param input: the sequence, ``(T, B, I)`` (``(B, T, I)`` if the module is ``batch_first``).
    :param k: the number of steps the gradient may cross, >= 1 (``k >= T``: full BPTT).
    :param hx: the initial state, as the module takes it; it is detached too (a state carried
        over from a previous call continues the sequence but takes no gradient back into it).
    """
    x = check_tensor(input)
    check_int(k, "k")
    if not callable(module):
        raise TypeError(f"module must be a recurrent layer, got {type(module).__name__}")
    if getattr(module, "bidirectional", False):
        raise ValueError("module must read the sequence forwards only: a bidirectional layer's reverse "
                         "direction would start each chunk afresh")
    time_dim = 1 if x.dim() == 3 and getattr(module, "batch_first", False) else 0
    outputs = []
    for chunk in x.split(k, dim=time_dim):
        if hx is not None:
            hx = _detach(hx)  # the values go on; the gradient stops here
        out, hx = module(chunk, hx)
        outputs.append(out)
    return torch.cat(outputs, dim=time_dim), hx


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
        h, state = self.lstm(self.embed(check_ids(ids, "ids", dim=2)), state)
        return self.out(h), state


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
    ids = check_ids(ids, "ids")
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


def train_language_model(model: nn.Module, optimizer: torch.optim.Optimizer, train_ids: Tensor,
                         val_ids: Tensor, steps: int = 180, batch_size: int = 64, length: int = 64,
                         max_norm: float | None = 1.0, eval_every: int = 30, val_batch_size: int = 128,
                         val_length: int = 128, seed: int = 1, val_seed: int = 2,
                         progress: bool = True) -> list[tuple[int, float, float]]:
    r"""Train a character-level language model for ``steps`` steps and return its learning curve.

    Each step draws ``batch_size`` windows of ``length`` characters from ``train_ids``
    (:func:`text_batch`), computes the cross-entropy of every next character (all $T$ steps of a
    window in one pass: the inputs are the true text, teacher forcing), and takes one
    :func:`nnbasics.training.train_step` with it: backpropagation, the gradients' total norm
    clipped to ``max_norm`` (:func:`clip_grad_norm_`), an optimizer step.
    Every ``eval_every`` steps it records the step, that step's training loss in bits per
    character, and :func:`bits_per_char` on ``val_batch_size`` windows of ``val_length``
    characters of ``val_ids``. The training windows come from a generator seeded with ``seed``,
    the validation windows from one seeded with ``val_seed``: two models trained with the same
    seeds see the same batches and are scored on the same windows.

    ``(L,), (L_val,) -> (steps // eval_every,)``: the curve, a list of tuples
    ``(step, training bits, validation bits)``, one every ``eval_every`` steps. The progress bar
    (``tqdm.auto``) shows the steps; ``progress=False`` or ``TQDM_DISABLE=1`` turns it off.

    :param model: a model like :class:`CharLSTM`: ``model(x)`` returns ``(logits, state)``,
        logits ``(B, T, vocab_size)``.
    :param optimizer: a ``torch.optim``-style optimizer over the model's parameters.
    :param train_ids: the training text as character ids, 1-D int64, ``(L,)``.
    :param val_ids: the validation text as character ids, 1-D int64, ``(L_val,)``.
    :param steps: the number of optimizer steps.
    :param batch_size: the number of training windows per step.
    :param length: the number of characters per training window.
    :param max_norm: the largest total gradient norm (:func:`clip_grad_norm_`), or None for no
        clipping.
    :param eval_every: record the curve every this many steps.
    :param val_batch_size: the number of validation windows per record.
    :param val_length: the number of characters per validation window.
    :param seed: the seed of the training windows' generator.
    :param val_seed: the seed of the validation windows' generator.
    :param progress: show the progress bar.
    """
    check_module(model)
    check_optimizer(optimizer)
    check_ids(train_ids, "train_ids")
    check_ids(val_ids, "val_ids")
    for name, value in (("steps", steps), ("batch_size", batch_size), ("length", length),
                        ("eval_every", eval_every), ("val_batch_size", val_batch_size),
                        ("val_length", val_length)):
        check_int(value, name)
    for name, value in (("seed", seed), ("val_seed", val_seed)):
        check_int(value, name, min_value=0)
    if max_norm is not None:
        check_real(max_norm, "max_norm", min_value=0.0)
    for ids, name, size in ((train_ids, "train_ids", length), (val_ids, "val_ids", val_length)):
        if len(ids) < size + 1:
            raise ValueError(f"{name} must hold at least {size + 1} characters (a window and its next "
                             f"character), got {len(ids)}")
    def next_character_loss(output: tuple[Tensor, object], y: Tensor) -> Tensor:
        logits, _ = output  # (B, T, vocab_size), and the final state
        return cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

    batches, val_batches = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(val_seed)
    curve = []
    model.train()
    bar = progress_bar(range(1, steps + 1), show=progress, desc="steps", leave=False)
    for step in bar:
        x, y = text_batch(train_ids, batch_size, length, batches)
        loss, _, _ = train_step(model, next_character_loss, optimizer, x, y, max_grad_norm=max_norm)
        if step % eval_every == 0:
            val_bits = bits_per_char(model, val_ids, val_batches, val_batch_size, val_length)
            curve.append((step, loss / math.log(2), val_bits))
            bar.set_postfix(training=f"{curve[-1][1]:.3f}", validation=f"{val_bits:.3f}")
    bar.close()
    return curve


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
    prompt = check_ids(prompt, "prompt")
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
