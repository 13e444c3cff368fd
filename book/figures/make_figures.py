"""Draw the book's conceptual diagrams as SVG: `make figures` (or `python book/figures/make_figures.py`).

Every figure sits on a light panel with rounded corners, so it reads the same in light and dark
mode. Output is deterministic (fixed hash salt, no date), and tests/tools/test_figures.py checks
that the committed SVGs equal what this script draws now. Numbers printed on a figure are
computed here, from `nnbasics` where the library has them.
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent
FS = 14.5  # points; 8 in (576 pt) wide, shown at ~688 px: FS - 1 with its subscripts (x 0.7) stays above 11 px
INK, BLUE, RED, GREEN, GREY, ORANGE = "#1b1b1b", "#1f5fa8", "#b8322a", "#2e7d32", "#6b6b6b", "#b35c00"
# Applied over matplotlib's defaults in render(), so that a style set elsewhere in the same process
# (a notebook's, or nnbasics.book_style() in another test) cannot change a figure.
RC = {
    "svg.fonttype": "none", "svg.hashsalt": "nnbasics-figures", "font.size": FS,
    "font.family": "DejaVu Sans", "mathtext.fontset": "dejavusans", "text.color": INK,
}


def canvas(w, h):
    """A figure 8 in wide, data coordinates 0..w by 0..h, on a rounded light panel."""
    fig = plt.figure(figsize=(8, 8 * h / w))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, w)
    ax.set_ylim(0, h)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((0.05, 0.05), w - 0.1, h - 0.1, boxstyle="round,pad=0,rounding_size=0.25",
                                fc="#fbfbf8", ec="#c8c8c8", lw=1))
    return fig, ax


def box(ax, x, y, w, h, text, fc="#e8eef7", ec=BLUE, fs=FS, color=INK, round_=True):
    style = "round,pad=0,rounding_size=0.12" if round_ else "square,pad=0"
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, fc=fc, ec=ec, lw=1.5))
    ax.text(x, y, text, ha="center", va="center", fontsize=fs, color=color)


def circle(ax, x, y, r, text="", fc="#e8eef7", ec=BLUE, fs=FS, lw=1.5):
    ax.add_patch(plt.Circle((x, y), r, fc=fc, ec=ec, lw=lw, zorder=2))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fs)


def arrow(ax, p, q, color=INK, lw=1.5, text=None, off=(0, 0.22), fs=FS, style="-|>", ls="-", rad=0.0):
    ax.add_patch(FancyArrowPatch(p, q, arrowstyle=style, mutation_scale=14, color=color, lw=lw,
                                 linestyle=ls, shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}"))
    if text:
        ax.text((p[0] + q[0]) / 2 + off[0], (p[1] + q[1]) / 2 + off[1], text, ha="center", va="center",
                fontsize=fs, color=color)


def label(ax, x, y, text, fs=FS, color=INK, **kw):
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    ax.text(x, y, text, fontsize=fs, color=color, **kw)


# ----------------------------------------------------------------------------------------------
# activations
def activations_neuron():
    fig, ax = canvas(12, 5)
    label(ax, 6, 4.6, "One neuron: weighted sum, then the activation $f$", fs=FS + 1)
    xs = [3.6, 2.5, 1.4]
    for j, y in enumerate(xs, 1):
        circle(ax, 1.0, y, 0.38, f"$x_{j}$")
        arrow(ax, (1.4, y), (4.3, 2.5 + (y - 2.5) * 0.15), text=f"$w_{j}$", off=(0, 0.28))
    circle(ax, 1.0, 0.75, 0.3, "1", fc="#f3f3f3", ec=GREY)
    arrow(ax, (1.3, 0.8), (4.35, 2.3), color=GREY, text="$b$", off=(0.2, -0.35))
    circle(ax, 4.9, 2.5, 0.6, r"$\Sigma$", fs=FS + 4)
    arrow(ax, (5.5, 2.5), (7.0, 2.5), text="$z$")
    label(ax, 6.2, 1.5, r"$z=w^\top x+b$", color=BLUE)
    box(ax, 7.8, 2.5, 1.6, 1.1, "$f$", fs=FS + 4, fc="#fdeeda", ec=ORANGE)
    arrow(ax, (8.6, 2.5), (10.4, 2.5), text="$a$")
    label(ax, 9.5, 1.5, "$a=f(z)$", color=ORANGE)
    label(ax, 11.0, 2.5, "output", ha="center", color=GREY)
    return fig


def activations_backprop():
    fig, ax = canvas(12, 4.6)
    label(ax, 6, 4.15, "Backward, the activation multiplies the gradient by $f$′$(z)$", fs=FS + 1)
    box(ax, 1.3, 2.6, 1.8, 1.0, "$z=Wx+b$")
    box(ax, 4.6, 2.6, 1.8, 1.0, "$a=f(z)$", fc="#fdeeda", ec=ORANGE)
    box(ax, 8.2, 2.6, 2.2, 1.0, "rest of the\nnetwork")
    box(ax, 11.0, 2.6, 1.1, 1.0, "$L$", fc="#fbe3e1", ec=RED)
    for a, b in [(2.2, 3.7), (5.5, 7.1), (9.3, 10.45)]:
        arrow(ax, (a, 2.85), (b, 2.85), text="forward" if a == 2.2 else None, off=(0, 0.3))
        arrow(ax, (b, 2.35), (a, 2.35), color=RED)
    label(ax, 7.0, 1.45, r"$\partial L/\partial a$", color=RED)
    label(ax, 3.4, 1.0, r"$\dfrac{\partial L}{\partial z}=\dfrac{\partial L}{\partial a}\odot f$′$(z)$", color=RED,
          fs=FS + 2)
    label(ax, 8.8, 0.65, "if $f$′$(z)\\approx 0$ (saturated sigmoid,\ndead ReLU) nothing flows back", color=GREY,
          fs=FS - 1)
    return fig


# ----------------------------------------------------------------------------------------------
# networks
def _layer_counts(sizes):
    import nnbasics.layers as L

    return [L.count_parameters(L.Linear(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]


def _dense(ax, sizes, xs, ytop, ybot, r=0.28, names=None):
    pos = []
    for n, x in zip(sizes, xs):
        ys = np.linspace(ytop, ybot, n + 2)[1:-1] if n > 1 else [(ytop + ybot) / 2]
        pos.append([(x, y) for y in ys])
    for a, b in zip(pos[:-1], pos[1:]):
        for p in a:
            for q in b:
                ax.plot([p[0] + r, q[0] - r], [p[1], q[1]], color="#8aa7c8", lw=0.9, zorder=1.5)
    for k, layer in enumerate(pos):
        for p in layer:
            circle(ax, *p, r, fc="#fdeeda" if 0 < k else "#e8eef7", ec=ORANGE if 0 < k else BLUE)
    return pos


def networks_layer_5_10():
    n_in, n_out = 5, 10
    (count,) = _layer_counts([n_in, n_out])
    fig, ax = canvas(12, 6.2)
    label(ax, 6, 5.8, f"A fully connected layer, $n_\\mathrm{{in}}={n_in}$ → $n_\\mathrm{{out}}={n_out}$", fs=FS + 1)
    _dense(ax, [n_in, n_out], [1.5, 5.0], 5.4, 0.3, r=0.2)
    label(ax, 1.5, 0.35, "$x$", color=BLUE)
    label(ax, 5.0, 0.3, "$z$", color=ORANGE)
    label(ax, 6.4, 4.6, f"$W\\in\\mathbb{{R}}^{{{n_out}\\times {n_in}}}$: {n_out}·{n_in} = {n_in * n_out} weights",
          ha="left")
    label(ax, 6.4, 3.8, f"$b\\in\\mathbb{{R}}^{{{n_out}}}$: {n_out} biases", ha="left")
    label(ax, 6.4, 2.9, f"parameters: {n_in * n_out} + {n_out} = {count}", ha="left", color=RED, fs=FS + 2)
    label(ax, 6.4, 1.9, "one line per weight: every output\nreads every input", ha="left", color=GREY)
    return fig


def networks_3322():
    sizes = [3, 3, 2, 2]
    counts = _layer_counts(sizes)
    fig, ax = canvas(12, 6.4)
    label(ax, 6, 6.0, "The worked example: 3 → 3 → 2 → 2", fs=FS + 1)
    xs = [1.2, 4.2, 7.2, 10.2]
    _dense(ax, sizes, xs, 5.4, 1.6)
    acts = ["input $x$", "sigmoid", "ReLU", "softmax"]
    for x, a in zip(xs, acts):
        label(ax, x, 1.35, a, color=GREY)
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        xm = (xs[k] + xs[k + 1]) / 2
        label(ax, xm, 0.85, f"$W_{k + 1}$: [{b}, {a}]", color=BLUE)
        label(ax, xm, 0.4, f"{a}·{b}+{b} = {counts[k]}", color=INK, fs=FS - 1)
    label(ax, 11.4, 0.4, f"= {sum(counts)}", color=RED, fs=FS + 1)
    return fig


# ----------------------------------------------------------------------------------------------
# init
def init_variance():
    layers = 5
    fig, ax = canvas(12, 6.0)
    label(ax, 6, 5.6, r"$\mathrm{Var}(z)$ after each layer: multiplied by $\mathrm{fan\_in}\,\sigma_w^2$ every time",
          fs=FS)
    rows = [(2.0, RED, r"$\mathrm{fan\_in}\,\sigma_w^2=2$: explodes"),
            (1.0, GREEN, r"$\mathrm{fan\_in}\,\sigma_w^2=1$: keeps its scale"),
            (0.5, BLUE, r"$\mathrm{fan\_in}\,\sigma_w^2=1/2$: vanishes")]
    for r, (factor, color, text) in enumerate(rows):
        y = 4.3 - 1.55 * r
        label(ax, 0.4, y + 0.72, text, ha="left", color=color, fs=FS - 1)
        for k in range(layers + 1):
            v = factor ** k
            x = 1.0 + 1.9 * k
            h = 0.5 * np.sqrt(v)  # height ~ standard deviation, capped to fit the row: hatched
            capped = int(h > 1.2)
            for fc, ec, hatch in [(color, color, None)] + [("none", "white", "///")] * capped:
                ax.add_patch(FancyBboxPatch((x - 0.25, y - min(h, 1.2) / 2), 0.5, min(h, 1.2),
                                            boxstyle="round,pad=0,rounding_size=0.05", fc=fc, ec=ec,
                                            alpha=0.8, hatch=hatch, lw=0 if hatch else 1))
            label(ax, x + 0.75, y, f"{v:.3g}", fs=FS - 1, color=INK)
    for k in range(layers + 1):
        label(ax, 1.0 + 1.9 * k, 0.35, "input" if k == 0 else f"layer {k}", fs=FS - 1, color=GREY)
    label(ax, 11.6, 5.05, "hatched: taller than drawn", ha="right", fs=FS - 2, color=GREY)
    return fig


def init_fans():
    fig, ax = canvas(12, 5.0)
    label(ax, 6, 4.6, "fan_in: inputs each output sums over; fan_out: outputs each input feeds", fs=FS)
    _dense(ax, [4, 3], [1.5, 4.5], 4.2, 0.6, r=0.25)
    ax.plot([1.5 + 0.25, 4.5 - 0.25], [np.linspace(4.2, 0.6, 5)[2]] * 2, lw=0)
    label(ax, 0.3, 0.35, "dense layer [3, 4]:  fan_in = 4,  fan_out = 3", ha="left", fs=FS - 1, color=GREY)
    box(ax, 8.7, 2.4, 5.4, 2.6, "", fc="#f3f3f3", ec=GREY)
    label(ax, 8.7, 3.2, r"Xavier: $\sigma_w^2=\dfrac{2}{\mathrm{fan\_in}+\mathrm{fan\_out}}$", color=BLUE)
    label(ax, 8.7, 1.8, r"Kaiming (ReLU): $\sigma_w^2=\dfrac{2}{\mathrm{fan\_in}}$", color=ORANGE)
    return fig


# ----------------------------------------------------------------------------------------------
# losses
def losses_margin():
    m = np.linspace(-2, 3, 401)
    fig, ax0 = canvas(12, 6.0)
    ax = fig.add_axes([0.1, 0.14, 0.55, 0.72])
    # np.exp takes another SIMD path on another CPU (last-bit differences that rounding cannot hide
    # near a rounding boundary): the scalar C library's exp and log1p are the same everywhere.
    logistic = np.array([math.log1p(math.exp(-v)) / math.log(2) for v in m])
    exponential = np.array([math.exp(-v) for v in m])
    for y, c, n in [(np.maximum(0, 1 - m), BLUE, "hinge $\\max(0, 1-m)$"),
                    (logistic, ORANGE, "logistic $\\log_2(1+e^{-m})$"),
                    (exponential, RED, "exponential $e^{-m}$")]:
        ax.plot(m, y, color=c, lw=2.2, label=n)
    ax.plot(m, (m <= 0).astype(float), color=GREY, lw=1.5, ls="--", label="0–1 loss")
    ax.set_ylim(0, 4)
    ax.set_xlim(-2, 3)
    ax.set_xlabel("margin $m = y\\,f(x)$, label $y\\in\\{-1,+1\\}$")
    ax.set_ylabel("loss")
    ax.set_facecolor("#fbfbf8")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=FS - 1)
    ax0.text(11.8 * 0.69, 1.3, "wrong side: $m<0$\nright side, confident: $m>1$", fontsize=FS - 1, color=GREY)
    return fig


def losses_soft_targets():
    fig, ax = canvas(12, 5.2)
    k, eps = 5, 0.1
    onehot = np.eye(k)[2]
    soft = onehot * (1 - eps) + eps / k
    label(ax, 6, 4.8, f"Targets for the true class $y=2$ of $K={k}$", fs=FS + 1)
    for c, (p, title, col) in enumerate([(onehot, "one-hot", BLUE),
                                         (soft, f"smoothed $y^{{\\mathrm{{ls}}}}$, $\\varepsilon={eps}$", ORANGE)]):
        x0 = 0.9 + 6 * c
        label(ax, x0 + 2.2, 4.2, title, color=col)
        for j, v in enumerate(p):
            h = 2.4 * v
            ax.add_patch(FancyBboxPatch((x0 + 0.9 * j, 1.2), 0.6, max(h, 0.001), boxstyle="square,pad=0", fc=col,
                                        ec=col, alpha=0.85))
            label(ax, x0 + 0.9 * j + 0.3, 0.95, str(j), fs=FS - 1, color=GREY)
            label(ax, x0 + 0.9 * j + 0.3, 1.35 + h, f"{v:.2g}", fs=FS - 1)
    label(ax, 6, 0.45, r"$\ell=-\sum_k a_k\log p_k$ scores the model's $p$ against either target $a$", fs=FS - 1,
          color=GREY)
    return fig


# ----------------------------------------------------------------------------------------------
# gradient descent
def gd_graph():
    fig, ax = canvas(12, 5.6)
    label(ax, 6, 5.2, "The two-layer example: forward values (black), backward gradients (red)", fs=FS)
    nodes = [("$X$\n[4, 3]", 0.9), ("$Z_1$\n[4, 5]", 3.2), ("$H$\n[4, 5]", 5.5), (r"$\hat Y$" + "\n[4, 1]", 7.8),
             ("$L$", 10.6)]
    for t, x in nodes:
        box(ax, x, 3.2, 1.3, 1.1, t, fc="#fbe3e1" if t == "$L$" else "#e8eef7", ec=RED if t == "$L$" else BLUE)
    ops = [r"$XW_1^\top+b_1$", r"$\sigma(\cdot)$", r"$HW_2^\top+b_2$", "MSE"]
    grads = [None, r"$G_{Z₁}=G_H\odot H(1-H)$", r"$G_H=G_{Ŷ}W_2$", r"$G_{Ŷ}=\frac{2}{N}(\hat Y-Y)$"]
    for k in range(4):
        a, b = nodes[k][1] + 0.65, nodes[k + 1][1] - 0.65
        arrow(ax, (a, 3.4), (b, 3.4), text=ops[k], off=(0, 0.75), fs=FS - 1)
        arrow(ax, (b, 3.0), (a, 3.0), color=RED)
        if grads[k]:
            label(ax, (a + b) / 2, 2.0 - 0.55 * (k % 2), grads[k], color=RED, fs=FS - 1)
    label(ax, 2.05, 0.6, r"$G_{W₁}=G_{Z₁}^\top X$", color=RED, fs=FS - 1)
    label(ax, 8.6, 0.6, r"$G_{W₂}=G_{Ŷ}^\top H$", color=RED, fs=FS - 1)
    return fig


def gd_batches():
    fig, ax = canvas(12, 5.0)
    n = 16
    label(ax, 6, 4.6, f"Which examples feed one step, with $N={n}$", fs=FS + 1)
    rows = [("batch: all $N$", n, BLUE), ("mini-batch: 4", 4, ORANGE), ("stochastic: 1", 1, RED)]
    for r, (name, size, col) in enumerate(rows):
        y = 3.6 - 1.3 * r
        label(ax, 0.35, y, name, ha="left", fs=FS - 1)
        for i in range(n):
            x = 2.75 + 0.4 * i
            step = i // size
            fc = col if step == 0 else "#ffffff"
            ax.add_patch(FancyBboxPatch((x, y - 0.2), 0.38, 0.4, boxstyle="square,pad=0", fc=fc, ec=col, lw=1.2))
        label(ax, 11.75, y, f"{n // size} step{'s' if n // size > 1 else ''}/epoch", ha="right", fs=FS - 1,
              color=GREY)
    label(ax, 6.0, 0.3, "filled: the examples of the first step; one epoch = one pass over all $N$", fs=FS - 1,
          color=GREY)
    return fig


# ----------------------------------------------------------------------------------------------
# optimizers
def optimizers_momentum():
    fig, ax = canvas(12, 6.0)
    mu, alpha = 0.9, 1.0
    b_prev = np.array([2.6, 0.6])
    g = np.array([0.6, -1.4])
    b = mu * b_prev + g
    o = np.array([0.6, 2.4])
    label(ax, 6, 5.6, rf"Momentum: $b_t=\mu\,b_{{t-1}}+g_t$ (here $\mu={mu}$), $w_t=w_{{t-1}}-\alpha\,b_t$", fs=FS)
    circle(ax, *o, 0.08, fc=INK, ec=INK)
    label(ax, o[0] - 0.2, o[1] - 0.35, "$w_{t-1}$")
    arrow(ax, o, o + mu * b_prev, color=BLUE, lw=2.2, text=r"$\mu\,b_{t-1}$", off=(0, 0.35))
    arrow(ax, o + mu * b_prev, o + mu * b_prev + g, color=ORANGE, lw=2.2, text="$g_t$", off=(0.35, 0))
    arrow(ax, o, o + b, color=GREEN, lw=2.6, text="$b_t$", off=(0, -0.4))
    label(ax, 7.0, 4.2, "the velocity keeps its direction;", ha="left", fs=FS - 1, color=GREY)
    label(ax, 7.0, 3.75, "the step is $-\\alpha\\,b_t$", ha="left", fs=FS - 1, color=GREY)
    label(ax, 7.0, 2.3, "the chapter's numbers, $y=w^2/2$:", ha="left", fs=FS - 1)
    w, bb = 1.0, 0.0
    lines = []
    for t in range(1, 4):
        gt = w
        bb = gt if t == 1 else 0.9 * bb + gt
        w = w - 0.01 * bb
        lines.append(f"$b_{t}$ = {bb:.6g},  $w_{t}$ = {w:.6g}")
    for i, s in enumerate(lines):
        label(ax, 7.0, 1.8 - 0.45 * i, s, ha="left", fs=FS - 1)
    del alpha
    return fig


def optimizers_nesterov():
    fig, ax = canvas(12, 5.0)
    label(ax, 6, 4.6, "Classic momentum vs Nesterov: where the gradient is taken", fs=FS + 1)
    for c, (name, look) in enumerate([("momentum", False), ("Nesterov", True)]):
        o = np.array([0.8 + 6 * c, 2.0])
        v = np.array([3.0, 0.9])
        label(ax, o[0] + 2.3, 3.9, name, color=BLUE if c == 0 else GREEN)
        circle(ax, *o, 0.08, fc=INK, ec=INK)
        label(ax, o[0], o[1] - 0.4, "$w$")
        arrow(ax, o, o + v, color=BLUE, lw=2.2, text=r"$-\alpha\mu b$", off=(0, 0.35))
        base = o + v if look else o
        g = np.array([1.0, -1.3])
        if look:
            circle(ax, *base, 0.08, fc=GREEN, ec=GREEN)
            label(ax, base[0] + 0.2, base[1] + 0.4, "look-ahead", fs=FS - 1, color=GREEN)
            arrow(ax, base, base + g, color=ORANGE, lw=2.2, text=r"$g(w-\alpha\mu b)$", off=(-1.2, -0.3), fs=FS - 1)
        else:
            arrow(ax, base, base + g, color=ORANGE, lw=2.2, text="$g(w)$", off=(0.55, 0))
        label(ax, o[0] + 2.3, 0.35, "gradient at the current $w$" if not look else "gradient after the momentum step",
              fs=FS - 1, color=GREY)
    return fig


def debugging_workflow():
    steps = [("1  initial loss", r"$\approx \ln C$ = %.3f for $C$ = 10" % math.log(10)),
             ("2  overfit one small batch", "loss $\\to$ 0"),
             ("3  gradient check", "rel. error $< 10^{-5}$ (float64), away from kinks"),
             ("4  update/weight ratio", r"$\Vert\Delta W\Vert/\Vert W\Vert \approx 10^{-3}$ per layer"),
             ("5  learning-rate range test", "short runs at and below the lowest loss"),
             ("6  activation, gradient histograms", "no saturated or dead layer"),
             ("7  random search, log scale", "best validation loss per budget")]
    h = 0.95 * len(steps) + 1.3
    fig, ax = canvas(12, h)
    label(ax, 6, h - 0.5, "Debugging a network: check, in order", fs=FS + 1)
    label(ax, 2.9, h - 1.0, "check", fs=FS - 1, color=GREY)
    label(ax, 8.6, h - 1.0, "a healthy network gives", fs=FS - 1, color=GREY)
    for k, (check, healthy) in enumerate(steps):
        y = h - 1.6 - 0.95 * k
        colour = ["#e8eef7", "#e8eef7", "#e8eef7", "#eef5e9", "#eef5e9", "#eef5e9", "#f7efe4"][k]
        box(ax, 2.9, y, 5.0, 0.7, check, fc=colour, fs=FS - 1)
        label(ax, 5.7, y, healthy, ha="left", fs=FS - 1)
        if k < len(steps) - 1:
            arrow(ax, (2.9, y - 0.35), (2.9, y - 0.6))
    return fig


def debugging_kink():
    fig, ax = canvas(12, 5.4)
    label(ax, 6, 5.0, r"A central difference across ReLU's kink", fs=FS + 1)
    o, s = np.array([5.2, 1.2]), 2.2  # the plot's origin and scale (one unit of z or h)
    ax.plot([o[0] - 1.8 * s, o[0]], [o[1], o[1]], color=INK, lw=2.2)
    ax.plot([o[0], o[0] + 1.3 * s], [o[1], o[1] + 1.3 * s], color=INK, lw=2.2)
    label(ax, o[0] + 1.3 * s + 0.15, o[1] + 1.3 * s, r"$\max(0, z)$", ha="left")
    label(ax, o[0], o[1] - 0.35, "0", fs=FS - 1)
    eps = 0.5
    for z, colour, text in ((-0.2, RED, "secant slope $(z+\\epsilon)/2\\epsilon$ = 0.3,\ntrue slope 0"),
                            (0.8, GREEN, "secant slope 1 = true slope")):
        a, b = z - eps, z + eps
        pa, pb = o + s * np.array([a, max(a, 0)]), o + s * np.array([b, max(b, 0)])
        ax.plot([pa[0], pb[0]], [pa[1], pb[1]], ls="--", color=colour, lw=1.8)
        for p in (pa, pb):
            circle(ax, *p, 0.07, fc=colour, ec=colour)
        pz = o + s * np.array([z, max(z, 0)])
        circle(ax, *pz, 0.07, fc="white", ec=colour)
        label(ax, 0.5 if z < 0 else pz[0] + 0.6, 2.6 if z < 0 else pz[1] - 0.6, text,
              fs=FS - 1, color=colour, ha="left")
    label(ax, o[0] + s * (-0.2 - eps), o[1] - 0.35, r"$z-\epsilon$", fs=FS - 1, color=RED)
    label(ax, o[0] + s * (0.3 + 0.01), o[1] + s * 0.3 - 0.05, r"$z+\epsilon$", fs=FS - 1, color=RED, ha="left")
    return fig

# ----------------------------------------------------------------------------------------------
# regularization
def regularization_dropout():
    p = 0.4
    fig, ax = canvas(12, 6.0)
    label(ax, 6, 5.6, f"Dropout with $p={p}$ in training (inverted dropout)", fs=FS + 1)
    rng_mask = [[1, 0, 1, 1, 0], [0, 1, 1, 0, 1]]  # a fixed example mask
    xs = [0.9, 3.1, 5.3, 7.5]
    sizes = [4, 5, 5, 2]
    pos = []
    for n, x in zip(sizes, xs):
        pos.append([(x, y) for y in np.linspace(5.0, 0.8, n + 2)[1:-1]])
    keep = [[1] * 4, rng_mask[0], rng_mask[1], [1, 1]]
    for k in range(3):
        for i, p1 in enumerate(pos[k]):
            for j, p2 in enumerate(pos[k + 1]):
                on = keep[k][i] and keep[k + 1][j]
                ax.plot([p1[0], p2[0]], [p1[1], p2[1]], color="#8aa7c8" if on else "#e2e2e2", lw=0.9, zorder=1.5)
    for k in range(4):
        for i, q in enumerate(pos[k]):
            if keep[k][i]:
                circle(ax, *q, 0.26, fc="#fdeeda" if 0 < k < 3 else "#e8eef7", ec=ORANGE if 0 < k < 3 else BLUE)
            else:
                circle(ax, *q, 0.26, fc="#ffffff", ec=GREY)
                label(ax, *q, "×", color=RED, fs=FS + 2)
    label(ax, 8.3, 4.4, "× dropped: output 0,", ha="left", fs=FS - 1, color=RED)
    label(ax, 8.3, 3.95, "no gradient back", ha="left", fs=FS - 1, color=RED)
    label(ax, 8.3, 3.0, f"kept: × 1/(1−p) = {1 / (1 - p):.3g}", ha="left", fs=FS - 1, color=ORANGE)
    label(ax, 8.3, 2.0, "evaluation: all units,", ha="left", fs=FS - 1)
    label(ax, 8.3, 1.55, "no scaling", ha="left", fs=FS - 1)
    return fig


def regularization_norms():
    fig, ax = canvas(12, 5.6)
    m, d = 4, 5
    for c, (name, axis) in enumerate([("batch norm: a feature over the batch", 0),
                                      ("layer norm: an example over its features", 1)]):
        x0 = 0.8 + 5.9 * c
        label(ax, x0 + 2.2, 5.1, name, fs=FS - 1, color=BLUE if axis == 0 else ORANGE)
        for i in range(m):
            for j in range(d):
                hi = (j == 1) if axis == 0 else (i == 2)
                col = (BLUE if axis == 0 else ORANGE) if hi else "#ffffff"
                ax.add_patch(FancyBboxPatch((x0 + 0.75 * j, 3.8 - 0.75 * i), 0.65, 0.65, boxstyle="square,pad=0",
                                            fc=col, ec=GREY, alpha=0.7 if hi else 1))
        label(ax, x0 - 0.45, 2.7, "examples $i=1..m$", rotation=90, fs=FS - 1, color=GREY)
        label(ax, x0 + 1.85, 0.85, "features", fs=FS - 1, color=GREY)
        label(ax, x0 + 1.85, 0.35, r"$\mu_B,\sigma_B^2$ per feature" if axis == 0 else "mean, variance per example",
              fs=FS - 1)
    return fig



def regularization_norms_sequence():
    fig, ax = canvas(12, 6.2)
    n_ex, c_feat, length, s, dx, dy = 4, 4, 6, 0.5, 0.34, 0.28
    panels = [("batch norm: one channel $c$,", "over all $N \\cdot L$ values", BLUE, "#9dbbe0",
               r"$\mu_B,\sigma_B^2$ per channel"),
              ("layer norm: example $n$ at step $t$,", "over its $C$ features", ORANGE, "#f0b27a",
               "mean, variance per example and step")]
    for p, (title, title2, col, tint, stats) in enumerate(panels):
        x0, y0 = 1.0 + 5.9 * p, 1.5
        label(ax, x0 + 2.3, 5.75, title, fs=FS - 1, color=col)
        label(ax, x0 + 2.3, 5.3, title2, fs=FS - 1, color=col)
        for n in reversed(range(n_ex)):  # the back slab first; example n = 0 in front
            ox, oy = x0 + dx * n, y0 + dy * n
            for c in range(c_feat):
                for t in range(length):
                    hi = (c == 0) if p == 0 else (n == 0 and t == 2)
                    ax.add_patch(FancyBboxPatch((ox + s * t, oy + s * (c_feat - 1 - c)), s, s, boxstyle="square,pad=0",
                                                fc=tint if hi else "#ffffff", ec=GREY, lw=0.8))
        label(ax, x0 + s * length / 2, y0 - 0.3, "$L$ time steps", fs=FS - 1, color=GREY)
        label(ax, x0 - 0.3, y0 + s * c_feat / 2, "$C$ features", rotation=90, fs=FS - 1, color=GREY)
        label(ax, x0 + dx * n_ex / 2 - 0.35, y0 + s * c_feat + dy * n_ex / 2 + 0.25, "$N$ examples",
              rotation=39, fs=FS - 1, color=GREY)
        label(ax, x0 + 2.3, 0.5, stats, fs=FS - 1)
    return fig

# ----------------------------------------------------------------------------------------------
# conv
def conv_padding_stride():
    from nnbasics.conv import conv_output_size

    n, k, p, s = 5, 3, 1, 2
    n_out = conv_output_size(n, k, stride=s, padding=p)
    fig, ax = canvas(12, 6.4)
    label(ax, 6, 6.0, f"$n={n}$, kernel $k={k}$, padding $p={p}$, stride $s={s}$", fs=FS + 1)
    c = 0.55
    x0, y0 = 0.7, 0.8
    N = n + 2 * p
    for i in range(N):
        for j in range(N):
            pad = i < p or j < p or i >= n + p or j >= n + p
            ax.add_patch(FancyBboxPatch((x0 + c * j, y0 + c * (N - 1 - i)), c, c, boxstyle="square,pad=0",
                                        fc="#eeeeee" if pad else "#e8eef7", ec=GREY, lw=0.8))
            if pad:
                label(ax, x0 + c * j + c / 2, y0 + c * (N - 1 - i) + c / 2, "0", fs=FS - 1, color=GREY)
    for (r, cc), col in [((0, 0), RED), ((0, 1), ORANGE)]:
        ax.add_patch(FancyBboxPatch((x0 + c * cc * s, y0 + c * (N - k - r * s)), c * k, c * k, boxstyle="square,pad=0",
                                    fc="none", ec=col, lw=2.6))
    arrow(ax, (x0 + c * 1.5, y0 + c * N + 0.15), (x0 + c * 3.5, y0 + c * N + 0.15), color=ORANGE,
          text=f"stride {s}", off=(0, 0.28), fs=FS - 1)
    ox = 6.0
    for i in range(n_out):
        for j in range(n_out):
            hi = (i, j) in [(0, 0), (0, 1)]
            ax.add_patch(FancyBboxPatch((ox + c * j, 1.9 + c * (n_out - 1 - i)), c, c, boxstyle="square,pad=0",
                                        fc=(RED if j == 0 else ORANGE) if hi else "#fdeeda", ec=GREY, lw=0.8,
                                        alpha=0.6 if hi else 1))
    label(ax, ox + c * n_out / 2, 1.45, f"output {n_out}×{n_out}", fs=FS - 1)
    label(ax, x0 + c * N / 2, 0.45, f"padded input {N}×{N}", fs=FS - 1)
    label(ax, 9.9, 3.4, r"$n_\mathrm{out}=\left\lfloor\dfrac{n+2p-k}{s}\right\rfloor+1$", fs=FS + 1)
    label(ax, 9.9, 2.2, f"$=\\lfloor({n}+{2 * p}-{k})/{s}\\rfloor+1={n_out}$", fs=FS)
    return fig


def conv_pooling():
    patch = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 5, 7], [3, 1, 8, 4]], dtype=float)
    mx = patch.reshape(2, 2, 2, 2).max(axis=(1, 3))
    av = patch.reshape(2, 2, 2, 2).mean(axis=(1, 3))
    fig, ax = canvas(12, 5.2)
    label(ax, 6, 4.75, "2×2 pooling, stride 2, on the same 4×4 patch", fs=FS + 1)
    cols = ["#dbe7f5", "#fde6cc", "#e3f1e0", "#f6dedd"]
    c = 0.72

    def grid(x0, y0, a, quad):
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                q = (i // quad) * 2 + j // quad
                ax.add_patch(FancyBboxPatch((x0 + c * j, y0 + c * (a.shape[0] - 1 - i)), c, c,
                                            boxstyle="square,pad=0", fc=cols[q], ec=GREY, lw=0.8))
                label(ax, x0 + c * j + c / 2, y0 + c * (a.shape[0] - 1 - i) + c / 2, f"{a[i, j]:g}", fs=FS)
    grid(0.8, 1.0, patch, 2)
    grid(6.0, 2.2, mx, 1)
    grid(9.6, 2.2, av, 1)
    arrow(ax, (3.9, 3.1), (5.8, 3.1), text="max", off=(0, 0.3))
    arrow(ax, (3.9, 2.4), (9.4, 1.9), rad=0.15)
    label(ax, 6.0 + c, 4.0, "max pooling", fs=FS - 1)
    label(ax, 9.6 + c, 4.0, "average pooling", fs=FS - 1)
    label(ax, 0.8 + 2 * c, 0.55, "input", fs=FS - 1, color=GREY)
    return fig


def _slab(ax, x, y, w, h, fc, ec=GREY, lw=1.0, z=1):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="square,pad=0", fc=fc, ec=ec, lw=lw, zorder=z))


def conv_channels():
    from nnbasics.conv import conv_parameters

    c_in, k, c_out_example = 3, 3, 100
    params = conv_parameters(c_in, c_out_example, k)
    fig, ax = canvas(12, 7.0)
    label(ax, 6, 6.6, r"Several channels: each kernel is a stack of $C_\mathrm{in}$ slices", fs=FS + 1)
    tints = ["#f6dedd", "#e3f1e0", "#dbe7f5"]
    # input: C_in slices of H x W, the back one first; the kernel's window on the front slice
    d, s, y0 = 0.32, 2.3, 2.0
    for i in range(c_in):
        x, y = 0.5 + d * (c_in - 1 - i), y0 + d * (c_in - 1 - i)
        _slab(ax, x, y, s, s, tints[i], z=2 + i)
    _slab(ax, 0.75, y0 + s - 1.15, 0.9, 0.9, "none", ec=BLUE, lw=2.0, z=6)
    label(ax, 1.95, 1.55, r"input $[C_\mathrm{in}, H, W]$", fs=FS - 1)
    label(ax, 1.95, 1.1, rf"$C_\mathrm{{in}}={c_in}$ channels", fs=FS - 1, color=GREY)
    # two kernels, each C_in slices of k_h x k_w
    for j, (yk, col) in enumerate([(4.35, BLUE), (2.0, ORANGE)]):
        for i in range(c_in):
            _slab(ax, 4.6 + 0.2 * (c_in - 1 - i), yk + 0.2 * (c_in - 1 - i), 0.9, 0.9, tints[i], ec=col, lw=1.5,
                  z=2 + i)
        label(ax, 6.35, yk + 0.85, f"kernel {j + 1}", fs=FS - 1, color=col, ha="left")
        label(ax, 6.35, yk + 0.35, r"$[C_\mathrm{in}, k_h, k_w]$", fs=FS - 1, ha="left")
    arrow(ax, (3.35, 3.8), (4.45, 4.8), color=BLUE)
    arrow(ax, (3.35, 3.4), (4.45, 2.6), color=ORANGE)
    # the output: one map per kernel
    for j, col in enumerate([BLUE, ORANGE]):
        x, y = 9.3 + 0.35 * (1 - j), 3.0 + 0.35 * (1 - j)
        _slab(ax, x, y, 1.8, 1.8, "#e8eef7" if j == 0 else "#fdeeda", ec=col, lw=1.5, z=2 + j)
    arrow(ax, (8.35, 5.0), (9.55, 4.7), color=BLUE)
    arrow(ax, (8.35, 2.5), (9.25, 3.05), color=ORANGE)
    label(ax, 9.9, 5.75, r"sum over $C_\mathrm{in}$, $+\,b$", fs=FS - 1)
    label(ax, 10.4, 2.35, r"output $[C_\mathrm{out}, H', W']$", fs=FS - 1)
    label(ax, 10.4, 1.9, "one map per kernel", fs=FS - 1, color=GREY)
    label(ax, 6.0, 0.85, r"weight $[C_\mathrm{out}, C_\mathrm{in}, k_h, k_w]$, "
          r"$C_\mathrm{out}(C_\mathrm{in} k_h k_w + 1)$ parameters", fs=FS - 1)
    label(ax, 6.0, 0.4, f"Conv2d({c_in}, {c_out_example}, {k}): {c_out_example}·({c_in}·{k}·{k} + 1) = {params:,}",
          fs=FS - 1, color=RED)
    return fig


def conv_residual():
    fig, ax = canvas(12, 5.4)
    label(ax, 6, 5.0, r"A residual block: $y = x + F(x)$", fs=FS + 1)
    yb = 2.3
    circle(ax, 0.9, yb, 0.42, "$x$")
    box(ax, 3.4, yb, 2.2, 0.9, "Conv2d 3×3\npadding 1", fs=FS - 1)
    box(ax, 6.0, yb, 1.4, 0.9, "ReLU", fc="#fdeeda", ec=ORANGE)
    circle(ax, 8.6, yb, 0.4, "+", fc="#ffffff", ec=INK, fs=FS + 3)
    circle(ax, 11.0, yb, 0.42, "$y$")
    arrow(ax, (1.32, yb), (2.3, yb))
    arrow(ax, (4.5, yb), (5.3, yb))
    arrow(ax, (6.7, yb), (8.2, yb), text="$F(x)$", off=(0, 0.35))
    arrow(ax, (9.0, yb), (10.58, yb))
    # the skip: x straight to the sum
    ax.plot([0.9, 0.9, 8.6], [yb + 0.42, 4.05, 4.05], color=GREEN, lw=2.2)
    arrow(ax, (8.6, 4.05), (8.6, yb + 0.4), color=GREEN, lw=2.2)
    label(ax, 4.7, 4.35, "identity: $x$ itself, same shape (padding keeps $H, W$)", fs=FS - 1, color=GREEN)
    # backward
    arrow(ax, (10.58, yb - 0.5), (9.0, yb - 0.5), color=RED)
    label(ax, 4.7, 1.0, r"backward: $\partial y/\partial x = I + \partial F/\partial x$", color=RED)
    label(ax, 4.7, 0.45, "the gradient reaches $x$ through the identity even where $\\partial F/\\partial x$ fades", fs=FS - 1,
          color=GREY)
    return fig


def conv_lenet():
    from nnbasics.conv import LeNet5
    from nnbasics.layers import summary

    rows = summary(LeNet5(), (1, 1, 28, 28))
    by_kind = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    (c1, c3), (s2, s4), (flat,), (c5, f6, out) = (by_kind["Conv2d"], by_kind["AvgPool2d"], by_kind["Flatten"],
                                                  by_kind["Linear"])
    fig, ax = canvas(12, 7.4)
    label(ax, 6, 7.0, f"LeNet-5 on a 28×28 digit: shapes, and parameters in red ({rows.total:,} in all)",
          fs=FS)

    def maps(x, shape, name, what, params, col):
        """A stack of feature maps centred at x; returns its left and right edge."""
        c, h, _ = shape
        side = 1.8 * h / 28
        n = min(c, 4)
        for i in range(n):
            o = 0.14 * (n - 1 - i)
            _slab(ax, x - side / 2 + o, 3.9 - side / 2 + o, side, side, "#e8eef7" if col == BLUE else "#fdeeda",
                  ec=col, lw=1.2, z=2 + i)
        label(ax, x, 6.3, name, fs=FS - 1, color=col)
        if what:
            label(ax, x, 5.85, what, fs=FS - 1, color=GREY)
        label(ax, x, 2.4, "×".join(map(str, shape)), fs=FS - 1)
        label(ax, x, 1.95, f"{params:,}", fs=FS - 1, color=RED)
        return x - side / 2, x + side / 2 + 0.14 * (n - 1)

    xs = [1.2, 3.6, 6.0, 8.4, 10.8]
    edges = [maps(xs[0], (1, 28, 28), "input", "", 0, BLUE),
             maps(xs[1], c1.output_shape[1:], "C1", "conv 5×5, p 2", c1.params, ORANGE),
             maps(xs[2], s2.output_shape[1:], "S2", "pool 2×2", s2.params, BLUE),
             maps(xs[3], c3.output_shape[1:], "C3", "conv 5×5", c3.params, ORANGE),
             maps(xs[4], s4.output_shape[1:], "S4", "pool 2×2", s4.params, BLUE)]
    for (_, right), (left, _) in zip(edges[:-1], edges[1:]):
        arrow(ax, (right + 0.1, 3.9), (left - 0.1, 3.9), color=GREY)
    # the fully connected part, on the second row
    vecs = [("flatten", flat.output_shape[1], 0), ("C5", c5.output_shape[1], c5.params),
            ("F6", f6.output_shape[1], f6.params), ("output", out.output_shape[1], out.params)]
    vx = [2.0, 4.9, 7.8, 10.5]
    for k, ((name, n, params), x) in enumerate(zip(vecs, vx)):
        box(ax, x, 1.0, 1.9, 0.75, f"{name} {n}", fs=FS - 1, fc="#fdeeda" if k else "#f3f3f3",
            ec=ORANGE if k else GREY)
        if params:
            label(ax, x - 1.45, 0.45, f"{params:,}", fs=FS - 1, color=RED)
        if k:
            arrow(ax, (vx[k - 1] + 0.95, 1.0), (x - 0.95, 1.0), color=GREY)
    ax.plot([xs[4], xs[4], 0.45, 0.45], [1.75, 1.55, 1.55, 1.0], color=GREY, lw=1.2)
    arrow(ax, (0.45, 1.0), (1.05, 1.0), color=GREY)
    return fig


# ----------------------------------------------------------------------------------------------
# recurrent
def recurrent_unrolled():
    fig, ax = canvas(12, 5.6)
    label(ax, 6, 5.2, "The RNN unrolled in time: the same $W_{ih}, W_{hh}$ at every step", fs=FS)
    xs = [2.2, 5.2, 8.2]
    names = ["1", "2", "3"]
    circle(ax, 0.6, 3.0, 0.38, "$h_0$", fc="#f3f3f3", ec=GREY)
    prev = 0.98
    for x, t in zip(xs, names):
        box(ax, x, 3.0, 1.5, 1.0, f"$h_{t}$", fc="#fdeeda", ec=ORANGE)
        circle(ax, x, 1.0, 0.38, f"$x_{t}$")
        arrow(ax, (x, 1.38), (x, 2.5), text="$W_{ih}$", off=(0.45, 0), fs=FS - 1)
        arrow(ax, (prev, 3.15), (x - 0.75, 3.15), text="$W_{hh}$", off=(0, 0.3), fs=FS - 1)
        arrow(ax, (x - 0.75, 2.8), (prev, 2.8), color=RED)
        prev = x + 0.75
    box(ax, 10.9, 3.0, 1.2, 1.0, "$L$", fc="#fbe3e1", ec=RED)
    arrow(ax, (prev, 3.15), (10.3, 3.15))
    arrow(ax, (10.3, 2.8), (prev, 2.8), color=RED)
    label(ax, 6.2, 0.35, r"BPTT (red): one factor $\partial h_t/\partial h_{t-1}$ per step on the way back to $h_1$",
          color=RED, fs=FS - 1)
    return fig


def _gate(ax, x, y, t, col):
    box(ax, x, y, 1.3, 0.7, t, fc="#ffffff", ec=col, fs=FS)


def recurrent_lstm():
    fig, ax = canvas(12, 6.6)
    label(ax, 6, 6.25, "The LSTM cell: the cell-state line $c$ is scaled by $f$, then added to", fs=FS)
    ax.add_patch(FancyBboxPatch((1.6, 0.9), 8.6, 4.8, boxstyle="round,pad=0,rounding_size=0.3", fc="#f4f7fb",
                                ec=BLUE, lw=1.2))
    y_c = 5.0
    arrow(ax, (0.3, y_c), (11.6, y_c), lw=2.4, color=INK)
    label(ax, 0.6, y_c + 0.35, "$c_{t-1}$")
    label(ax, 11.3, y_c + 0.35, "$c_t$")
    circle(ax, 3.4, y_c, 0.3, "×", fc="#ffffff", ec=INK)
    circle(ax, 5.9, y_c, 0.3, "+", fc="#ffffff", ec=INK)
    gates = [(3.4, r"$f_t\ \sigma$", RED), (5.0, r"$i_t\ \sigma$", GREEN), (6.6, r"$g_t$ tanh", ORANGE),
             (8.2, r"$o_t\ \sigma$", BLUE)]
    for x, t, col in gates:
        _gate(ax, x, 2.4, t, col)
        ax.plot([x, x], [1.6, 2.05], color=GREY, lw=1.2)
    ax.plot([0.3, 8.2], [1.6, 1.6], color=GREY, lw=1.5)
    label(ax, 0.75, 1.25, "$h_{t-1}$")
    arrow(ax, (1.0, 0.3), (1.0, 1.55), color=GREY)
    label(ax, 0.5, 0.45, "$x_t$")
    arrow(ax, (3.4, 2.75), (3.4, y_c - 0.3), color=RED)
    circle(ax, 5.8, 3.6, 0.28, "×", fc="#ffffff", ec=INK)
    arrow(ax, (5.0, 2.75), (5.6, 3.4), color=GREEN)
    arrow(ax, (6.6, 2.75), (6.0, 3.4), color=ORANGE)
    arrow(ax, (5.85, 3.88), (5.9, y_c - 0.3))
    label(ax, 4.4, 4.1, r"$i_t\odot g_t$", fs=FS - 1)
    box(ax, 9.3, 4.0, 1.0, 0.6, "tanh", fc="#ffffff", ec=INK, fs=FS - 1)
    ax.plot([9.3, 9.3], [y_c, 4.3], color=INK, lw=1.2)
    circle(ax, 9.3, 2.9, 0.28, "×", fc="#ffffff", ec=INK)
    arrow(ax, (9.3, 3.7), (9.3, 3.18))
    arrow(ax, (8.85, 2.55), (9.07, 2.75), color=BLUE)
    arrow(ax, (9.58, 2.9), (11.6, 2.9), text="$h_t$", off=(0.3, 0.3))
    label(ax, 6.0, 0.5, r"$c_t=f_t\odot c_{t-1}+i_t\odot g_t,\quad h_t=o_t\odot\tanh(c_t)$", fs=FS)
    return fig


def recurrent_gru():
    fig, ax = canvas(12, 5.2)
    label(ax, 6, 4.85, "The GRU: the update gate $z_t$ mixes old state and candidate", fs=FS)
    circle(ax, 1.0, 3.4, 0.45, "$h_{t-1}$", fc="#fdeeda", ec=ORANGE, fs=FS - 1)
    circle(ax, 1.0, 1.2, 0.4, "$x_t$")
    box(ax, 3.6, 3.4, 1.6, 0.8, r"$r_t\ \sigma$", fc="#ffffff", ec=RED)
    box(ax, 3.6, 2.1, 1.6, 0.8, r"$z_t\ \sigma$", fc="#ffffff", ec=GREEN)
    box(ax, 6.2, 1.1, 2.2, 0.8, "$n_t$ tanh", fc="#ffffff", ec=ORANGE)
    for y in (3.4, 2.1):
        arrow(ax, (1.45, 3.4 if y == 3.4 else 3.2), (2.8, y), color=GREY)
        arrow(ax, (1.4, 1.3), (2.8, y - 0.15), color=GREY)
    arrow(ax, (1.4, 1.1), (5.1, 1.1), color=GREY)
    arrow(ax, (4.4, 3.3), (5.6, 1.5), color=RED, text=r"$r_t\odot(\cdot)$", off=(0.7, 0.2), fs=FS - 1)
    box(ax, 9.7, 2.6, 3.9, 1.5, r"$h_t=(1-z_t)\odot n_t$" + "\n" + r"$+\,z_t\odot h_{t-1}$", fc="#f4f7fb", ec=BLUE,
        fs=FS - 1)
    arrow(ax, (7.3, 1.2), (7.6, 2.1), color=ORANGE)
    arrow(ax, (4.4, 2.1), (7.5, 2.5), color=GREEN)
    ax.plot([1.0, 1.0, 9.3, 9.3], [3.85, 4.3, 4.3, 3.3], color=ORANGE, lw=1.3)
    label(ax, 5.2, 4.5, "$z_t\\approx 1$: $h_{t-1}$ and its gradient pass through", fs=FS - 1, color=GREY)
    return fig


# ----------------------------------------------------------------------------------------------
# capstone
def capstone_pipeline():
    fig, ax = canvas(12, 4.6)
    label(ax, 6, 4.2, "The capstone pipeline, from data to evaluation", fs=FS + 1)
    steps = ["MNIST\n5,000 digits", "stratified\nsplit, seed 0", "scale to\n[0, 1]", "train:\nAdam, CE",
             "evaluate on\ntest set"]
    xs = np.linspace(1.25, 10.75, len(steps))
    for i, (x, s) in enumerate(zip(xs, steps)):
        box(ax, x, 2.5, 2.0, 1.4, s, fs=FS - 1, fc="#fdeeda" if i == 3 else "#e8eef7",
            ec=ORANGE if i == 3 else BLUE)
        if i:
            arrow(ax, (xs[i - 1] + 1.0, 2.5), (x - 1.0, 2.5))
    label(ax, xs[1], 1.2, "4,000 train\n1,000 test", fs=FS - 1, color=GREY)
    label(ax, xs[3], 1.2, "mini-batches of 100,\n5 epochs", fs=FS - 1, color=GREY)
    label(ax, xs[4], 1.2, "accuracy,\nconfusions", fs=FS - 1, color=GREY)
    return fig


def capstone_mlp():
    sizes = [784, 500, 10]
    counts = _layer_counts(sizes)
    fig, ax = canvas(12, 5.2)
    label(ax, 6, 4.85, "784 → 500 → 10: each image flattened, one hidden ReLU layer", fs=FS)
    box(ax, 1.5, 2.5, 1.2, 3.4, "$\\mathbf{x}$\n784", fs=FS)
    box(ax, 6.0, 2.5, 1.2, 2.6, "ReLU\n500", fc="#fdeeda", ec=ORANGE, fs=FS)
    box(ax, 10.4, 2.5, 1.2, 1.2, "10\nsoftmax", fs=FS - 1)
    arrow(ax, (2.1, 2.5), (5.4, 2.5), text="$W_1$: [500, 784]", off=(0, 0.35), fs=FS - 1)
    label(ax, 3.75, 1.75, f"{counts[0]:,} params", fs=FS - 1, color=RED)
    arrow(ax, (6.6, 2.5), (9.8, 2.5), text="$W_2$: [10, 500]", off=(0, 0.35), fs=FS - 1)
    label(ax, 7.0, 1.75, f"{counts[1]:,} params", fs=FS - 1, color=RED)
    label(ax, 6.0, 0.4, f"total {sum(counts):,} parameters, {counts[0] / sum(counts):.0%} of them in $W_1, b_1$",
          fs=FS - 1)
    return fig


# ----------------------------------------------------------------------------------------------
# recurrent: the character-level language model
def lm_model():
    fig, ax = canvas(12, 7.4)
    label(ax, 6, 7.0, "The character LSTM reads $x_t$ and is scored on the next character $y_t = x_{t+1}$",
          fs=FS)
    text = "def f"
    xs = [2.4, 4.9, 7.4, 9.9]
    for t, x in enumerate(xs):
        ch, nxt = text[t], text[t + 1]
        shown = {" ": "␣"}
        box(ax, x, 0.75, 1.5, 0.7, f"$x_{t + 1}$: '{shown.get(ch, ch)}'", fc="#f3f3f3", ec=GREY, fs=FS - 1)
        arrow(ax, (x, 1.1), (x, 1.55), color=GREY)
        box(ax, x, 1.95, 1.9, 0.7, "embed, 32", fs=FS - 1)
        arrow(ax, (x, 2.3), (x, 2.75))
        box(ax, x, 3.2, 1.9, 0.8, "LSTM, 128", fc="#fdeeda", ec=ORANGE, fs=FS - 1)
        arrow(ax, (x, 3.6), (x, 4.05), text=f"$h_{t + 1}$", off=(0.4, 0), fs=FS - 1)
        box(ax, x, 4.5, 1.9, 0.8, "Linear, 103", fs=FS - 1)
        arrow(ax, (x, 4.9), (x, 5.35), text=f"$z_{t + 1}$", off=(0.4, 0), fs=FS - 1)
        box(ax, x, 5.8, 2.2, 0.8, "cross-entropy", fc="#fbe3e1", ec=RED, fs=FS - 1)
        label(ax, x, 6.5, f"$y_{t + 1}$: '{shown.get(nxt, nxt)}'", fs=FS - 1, color=RED)
        if t:
            arrow(ax, (xs[t - 1] + 0.95, 3.2), (x - 0.95, 3.2), text="$(h, c)$", off=(0, 0.3), fs=FS - 2)
    label(ax, 0.8, 3.75, "$h_0, c_0$", fs=FS - 1, color=GREY)
    arrow(ax, (0.3, 3.2), (xs[0] - 0.95, 3.2), color=GREY, text="$= 0$", off=(-0.1, -0.3), fs=FS - 1)
    label(ax, 6.0, 0.2, "teacher forcing: every input is the true text, never the model's own guess",
          fs=FS - 2, color=GREY)
    return fig


def lm_sampling():
    import torch

    from nnbasics.activations import softmax

    fig, ax = canvas(12, 6.2)
    label(ax, 6, 5.85, r"Sampling: divide the logits by $\tau$, draw, feed the draw back", fs=FS)
    box(ax, 1.4, 4.3, 2.0, 0.9, "prompt\n'The '", fc="#f3f3f3", ec=GREY, fs=FS - 1)
    box(ax, 4.2, 4.3, 2.0, 0.9, "CharLSTM", fc="#fdeeda", ec=ORANGE, fs=FS - 1)
    box(ax, 7.0, 4.3, 2.2, 0.9, r"softmax$(z/\tau)$", fs=FS - 1)
    box(ax, 9.9, 4.3, 2.0, 0.9, "draw one\ncharacter", fc="#fbe3e1", ec=RED, fs=FS - 1)
    arrow(ax, (2.4, 4.3), (3.2, 4.3))
    arrow(ax, (5.2, 4.3), (5.9, 4.3), text="$z$", off=(0, 0.25), fs=FS - 1)
    arrow(ax, (8.1, 4.3), (8.9, 4.3), text="$p$", off=(0, 0.25), fs=FS - 1)
    arrow(ax, (9.9, 3.85), (4.6, 3.85), color=RED, rad=-0.0)
    ax.plot([9.9, 9.9], [3.85, 3.85], color=RED)
    label(ax, 7.2, 3.55, "append it, feed it back with the state $(h, c)$", fs=FS - 2, color=RED)
    # the same logits at three temperatures, through the library's softmax
    z = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0], dtype=torch.float64)
    for j, tau in enumerate((0.5, 1.0, 1.5)):
        p = softmax(z / tau, dim=0).tolist()
        x0 = 1.2 + j * 3.7
        ax.plot([x0 - 0.2, x0 + 2.6], [0.6, 0.6], color=GREY, lw=1)
        for k, pk in enumerate(p):
            ax.add_patch(plt.Rectangle((x0 + 0.5 * k, 0.6), 0.36, 2.2 * pk, ec="none",
                                       fc=BLUE if k == 0 else "#9db8dc"))
        label(ax, x0 + 1.2, 3.05, rf"$\tau = {tau:g}$: $p_1 = {p[0]:.2f}$", fs=FS - 1)
    label(ax, 6.0, 0.3,
          r"the same 5 logits $z = (2, 1, 0.5, 0, -1)$: $\tau < 1$ sharpens, $\tau > 1$ flattens",
          fs=FS - 2, color=GREY)
    return fig


# ----------------------------------------------------------------------------------------------
# capstone: MNIST-1D
def mnist1d_generation():
    """One template through the mnist1d package's own transformations, with a fixed seed."""
    from types import SimpleNamespace

    from mnist1d.data import get_dataset_args, get_templates
    from mnist1d.transform import corr_noise_like, iid_noise_like, interpolate, pad, shear, translate

    args = SimpleNamespace(**get_dataset_args(as_dict=True))
    rng_state = np.random.get_state()  # noqa: NPY002 -- the package draws from numpy's legacy global RNG
    np.random.seed(2)  # noqa: NPY002  # mnist1d draws from numpy's global generator; 2 shifts the digit visibly
    x = get_templates()["x"][3] + 1e-8
    steps = [("template of 3", x)]
    x = pad(x, args.padding)
    x = interpolate(x, args.template_len + args.padding[-1])
    steps.append((f"pad, stretch to {len(x)}", x))
    x = x * (1 + args.scale_coeff * (np.random.rand() - 0.5))  # noqa: NPY002
    x = translate(x, args.max_translation)
    steps.append(("scale, shift", x))
    mask = x != 0
    x = mask * x + (1 - mask) * corr_noise_like(x, args.corr_noise_scale)
    x = x + iid_noise_like(x, args.iid_noise_scale)
    steps.append(("noise", x))
    x = interpolate(shear(x, args.shear_scale), args.final_seq_length)
    steps.append((f"shear, {len(x)} values", x))
    np.random.set_state(rng_state)  # noqa: NPY002
    fig, ax = canvas(12, 4.0)
    label(ax, 6, 3.65, "MNIST-1D: one digit template, transformed at random into a signal of 40", fs=FS)
    w = 2.0
    for j, (name, v) in enumerate(steps):
        x0 = 0.35 + j * 2.35
        ax.add_patch(FancyBboxPatch((x0, 0.95), w, 2.0, boxstyle="round,pad=0,rounding_size=0.08", fc="#fff",
                                    ec=BLUE if j in (0, len(steps) - 1) else GREY, lw=1.2))
        t = np.linspace(x0 + 0.1, x0 + w - 0.1, len(v))
        ax.plot(t, 1.95 + 0.55 * np.asarray(v) / 0.6, color=INK if j < len(steps) - 1 else BLUE, lw=1.3)
        label(ax, x0 + w / 2, 0.6, name, fs=FS - 3)
        if j:
            arrow(ax, (x0 - 0.33, 1.95), (x0 - 0.03, 1.95))
    return fig


def mnist1d_models():
    fig, ax = canvas(12, 5.6)
    label(ax, 6, 5.25, "The two models that read the 40 values in order", fs=FS)
    # CNN: lengths 40 -> 19 -> 10 -> 5, 25 channels, then Linear(125, 10)
    label(ax, 0.7, 3.9, "CNN", fs=FS - 1, color=ORANGE)
    label(ax, 6.3, 2.95, "3 convolutions, stride 2, with ReLU", fs=FS - 3, color=GREY)
    xs, lens = [1.9, 4.0, 5.9, 7.6], [40, 19, 10, 5]
    for j, (x, n) in enumerate(zip(xs, lens, strict=True)):
        h = 0.35 + 1.5 * n / 40
        box(ax, x, 3.9, 0.9 if j else 0.5, h, "", fc="#fdeeda" if j else "#f3f3f3", ec=ORANGE if j else GREY)
        label(ax, x, 3.9 + h / 2 + 0.25, f"{n}" + ("" if j == 0 else " × 25"), fs=FS - 3)
        if j:
            arrow(ax, (xs[j - 1] + 0.45, 3.9), (x - 0.45, 3.9), text="conv", off=(0, -0.3), fs=FS - 3)
    box(ax, 9.5, 3.9, 1.5, 0.6, "Linear", fs=FS - 2)
    arrow(ax, (8.05, 3.9), (8.75, 3.9), text="125", off=(0, 0.25), fs=FS - 3)
    arrow(ax, (10.25, 3.9), (11.0, 3.9), text="10", off=(0, 0.25), fs=FS - 3)
    # bidirectional GRU: 6 units each way, every hidden state to Linear(480, 10)
    label(ax, 0.7, 1.6, "GRU", fs=FS - 1, color=GREEN)
    cells = np.linspace(1.9, 6.1, 5)
    for j, x in enumerate(cells):
        circle(ax, x, 0.65, 0.22, "", fc="#f3f3f3", ec=GREY)
        box(ax, x, 1.35, 0.7, 0.45, "→", fc="#e8f3e8", ec=GREEN, fs=FS - 3)
        box(ax, x, 2.0, 0.7, 0.45, "←", fc="#e8f3e8", ec=GREEN, fs=FS - 3)
        ax.plot([x, x], [0.87, 1.12], color=GREY, lw=1)
        if j:
            arrow(ax, (cells[j - 1] + 0.35, 1.35), (x - 0.35, 1.35), color=GREEN, lw=1)
            arrow(ax, (x - 0.35, 2.0), (cells[j - 1] + 0.35, 2.0), color=GREEN, lw=1)
    label(ax, 4.0, 0.3, "the 40 values, one per step (5 drawn)", fs=FS - 3, color=GREY)
    box(ax, 9.5, 1.65, 1.5, 0.6, "Linear", fs=FS - 2)
    arrow(ax, (6.6, 1.65), (8.75, 1.65), text="40 × 2 × 6\n= 480", off=(0, 0.5), fs=FS - 3)
    arrow(ax, (10.25, 1.65), (11.0, 1.65), text="10", off=(0, 0.25), fs=FS - 3)
    label(ax, 4.0, 2.5, "6 hidden units each way", fs=FS - 3, color=GREEN)
    return fig


# ----------------------------------------------------------------------------------------------
# attention
def attention_lookup():
    """One query against four keys: the chapter's worked example, computed with nnbasics."""
    import torch

    from nnbasics.activations import softmax

    keys = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.6, 0.8]], dtype=torch.float64)
    values = torch.tensor([10.0, 20.0, 30.0, 40.0], dtype=torch.float64)
    q = torch.tensor([2.0, 0.5], dtype=torch.float64)
    scores = keys @ q / math.sqrt(2)
    weights = softmax(scores, dim=0)
    out = (weights * values).sum().item()
    fig, ax = canvas(12, 6.6)
    label(ax, 6, 6.2, "Attention as a soft lookup: the query matches every key a little", fs=FS)
    ys = [4.45, 3.45, 2.45, 1.45]
    heads = [(2.65, "keys $k_i$"), (4.9, "scores $s_i$"), (7.05, "weights $a_i$"), (9.35, "values $v_i$")]
    for x, text in heads:
        label(ax, x, 5.4, text, fs=FS - 1, color=GREY)
    box(ax, 0.95, 2.95, 1.2, 0.9, "$q$", fs=FS + 1, fc="#fdeeda", ec=ORANGE)
    label(ax, 0.95, 2.15, "(2, 0.5)", fs=FS - 3, color=GREY)
    for i, y in enumerate(ys):
        k = keys[i].tolist()
        box(ax, 2.65, y, 1.7, 0.7, f"({k[0]:g}, {k[1]:g})".replace("-", "−"), fs=FS - 2)
        arrow(ax, (1.55, 2.95), (1.8, y), color=GREY, lw=1.0)
        arrow(ax, (3.5, y), (4.2, y), color=GREY, lw=1.0)
        label(ax, 4.9, y, f"{scores[i].item():.2f}".replace("-", "−"), fs=FS - 1)
        arrow(ax, (5.45, y), (6.05, y), color=GREY, lw=1.0)
        w = weights[i].item()
        ax.add_patch(FancyBboxPatch((6.15, y - 0.25), 1.6 * w / weights.max().item(), 0.5,
                                    boxstyle="square,pad=0", fc=BLUE, ec="none", alpha=0.85))
        label(ax, 7.95, y, f"{w:.2f}", fs=FS - 1, ha="left")
        box(ax, 9.35, y, 0.9, 0.7, f"{values[i].item():g}", fs=FS - 2, fc="#e8f3e8", ec=GREEN)
        arrow(ax, (9.8, y), (10.43, 2.95), color=GREY, lw=1.0)
    circle(ax, 10.75, 2.95, 0.32, r"$\Sigma$", fs=FS)
    arrow(ax, (11.07, 2.95), (11.4, 2.95))
    label(ax, 11.6, 2.95, "$o$", fs=FS + 1)
    label(ax, 11.0, 2.25, f"$o$ = {out:.2f}", fs=FS - 1)
    label(ax, 4.9, 0.55, r"$s_i = q\cdot k_i$ / √$d$", fs=FS - 1, color=GREY)
    label(ax, 7.05, 0.55, r"$a = \mathrm{softmax}(s)$", fs=FS - 1, color=GREY)
    label(ax, 9.9, 0.55, r"$o = \sum_i a_i v_i$", fs=FS - 1, color=GREY)
    return fig


def attention_decoder():
    fig, ax = canvas(12, 7.8)
    label(ax, 6, 7.45, "The causal Transformer language model, and its mask", fs=FS)
    x, w, xr = 4.1, 5.7, 0.95  # the stack's centre and width; the residual lines' x
    ax.add_patch(FancyBboxPatch((0.45, 1.95), 6.8, 4.2, boxstyle="round,pad=0,rounding_size=0.2",
                                fc="#f7f7f4", ec=GREY, lw=1.0, ls="--"))
    label(ax, 7.1, 5.9, "× 2 blocks", fs=FS - 2, color=GREY, ha="right")
    steps = [(0.45, "characters $x_1, \\dots, x_T$", "#f3f3f3", GREY),
             (1.35, "embedding $+$ positional encoding $P_t$", "#e8eef7", BLUE),
             (2.55, "layer norm", "#ffffff", INK),
             (3.35, "masked multi-head attention", "#fdeeda", ORANGE),
             (4.55, "layer norm", "#ffffff", INK),
             (5.35, "MLP: Linear, GELU, Linear", "#e8f3e8", GREEN),
             (6.55, "layer norm, Linear: logits $z_t$", "#e8eef7", BLUE)]
    for y, text, fc, ec in steps:  # subscripts are 0.7 of the size: FS - 1 keeps them legible
        box(ax, x, y, w, 0.55, text, fs=FS - 1 if "_" in text else FS - 2, fc=fc, ec=ec)
    for y0, y1 in ((0.73, 1.07), (1.63, 2.27), (2.83, 3.07), (3.63, 3.75), (4.15, 4.27), (4.83, 5.07),
                   (5.63, 5.75), (6.15, 6.27)):
        arrow(ax, (x, y0), (x, y1))
    for y_plus, y_from in ((3.95, 2.1), (5.95, 4.21)):  # the residual connections, around each branch
        circle(ax, x, y_plus, 0.2, "+", fs=FS - 1, fc="#ffffff", ec=INK)
        ax.plot([x, xr, xr], [y_from, y_from, y_plus], color=RED, lw=1.3)
        arrow(ax, (xr, y_plus), (x - 0.2, y_plus), color=RED)
    label(ax, xr - 0.25, 3.05, "residual", fs=FS - 3, color=RED, rotation=90)
    # the causal mask: query i may attend to keys j <= i
    n, c, gx, gy = 6, 0.5, 8.35, 1.9
    for i in range(n):
        for j in range(n):
            allowed = j <= i
            ax.add_patch(FancyBboxPatch((gx + c * j, gy + c * (n - 1 - i)), c, c, boxstyle="square,pad=0",
                                        fc="#9dbbe0" if allowed else "#ffffff", ec=GREY, lw=0.8))
            if not allowed:
                label(ax, gx + c * (j + 0.5), gy + c * (n - 0.5 - i), "×", fs=FS - 3, color=GREY)
    label(ax, gx + c * n / 2, gy + c * n + 0.35, "key $j$", fs=FS - 1)
    label(ax, gx + c * n + 0.4, gy + c * n / 2, "query $i$", fs=FS - 1, rotation=-90)
    label(ax, gx + c * n / 2, 5.75, "the causal mask", fs=FS - 1, color=ORANGE)
    label(ax, gx + c * n / 2, 1.4, "blue: $j \\leq i$, attended", fs=FS - 3)
    label(ax, gx + c * n / 2, 0.95, "×: $j > i$, score $-\\infty$", fs=FS - 3)
    arrow(ax, (gx - 0.1, 3.35), (x + w / 2 + 0.05, 3.35), color=ORANGE, lw=1.2)
    return fig


FIGURES = {
    "activations-neuron": activations_neuron, "activations-backprop": activations_backprop,
    "networks-layer-5-10": networks_layer_5_10, "networks-3-3-2-2": networks_3322,
    "init-variance": init_variance, "init-fans": init_fans,
    "losses-margin": losses_margin, "losses-soft-targets": losses_soft_targets,
    "gd-graph": gd_graph, "gd-batches": gd_batches,
    "optimizers-momentum": optimizers_momentum, "optimizers-nesterov": optimizers_nesterov,
    "debugging-workflow": debugging_workflow, "debugging-kink": debugging_kink,
    "regularization-dropout": regularization_dropout, "regularization-norms": regularization_norms,
    "regularization-norms-sequence": regularization_norms_sequence,
    "conv-padding-stride": conv_padding_stride, "conv-channels": conv_channels, "conv-pooling": conv_pooling,
    "conv-lenet": conv_lenet, "conv-residual": conv_residual,
    "recurrent-unrolled": recurrent_unrolled, "recurrent-lstm": recurrent_lstm, "recurrent-gru": recurrent_gru,
    "capstone-pipeline": capstone_pipeline, "capstone-mlp": capstone_mlp,
    "lm-model": lm_model, "lm-sampling": lm_sampling,
    "mnist1d-generation": mnist1d_generation, "mnist1d-models": mnist1d_models,
    "attention-lookup": attention_lookup, "attention-decoder": attention_decoder,
}


def render(name: str) -> str:
    """The SVG text of one figure, the same on every run."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        plt.rcParams.update(RC)
        fig = FIGURES[name]()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
        plt.close(fig)
    return buf.getvalue()


def main(argv=None) -> int:
    out = HERE
    for name in (argv or list(FIGURES)):
        (out / f"{name}.svg").write_text(render(name), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
