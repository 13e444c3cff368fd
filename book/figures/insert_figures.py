"""Insert (or update) the diagram cells in the chapter notebooks: markdown cells only.

Each diagram gets one markdown cell with a fixed id (``fig-<name>``), placed right after the
markdown cell whose text contains its anchor. Run under the notebook lock:
``flock /tmp/nb.lock .venv/bin/python book/figures/insert_figures.py``. Re-running updates the
cells in place; code cells and outputs are never touched.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

BOOK = Path(__file__).resolve().parents[1]

# chapter -> [(figure name, anchor text, lead sentence, caption, alt text)]
FIGS = {
    "activations": [
        ("activations-neuron", "## Why a network needs a nonlinearity",
         "{numref}`fig-activations-neuron` shows where the activation sits: after the weighted sum, once per neuron.",
         "One neuron: the inputs $x_j$ are weighted by $w_j$, summed with the bias $b$ into $z$, and the "
         "activation $f$ turns $z$ into the output $a = f(z)$.",
         "Diagram of one neuron. Three input circles x1, x2, x3 and a constant 1 send arrows labelled w1, w2, w3 "
         "and b into a circle marked sigma, the sum z = w transpose x + b. An arrow z leads to a box f, and an "
         "arrow a = f(z) leaves it as the output."),
        ("activations-backprop", "## Saturation and the vanishing gradient",
         "On the way back ({numref}`fig-activations-backprop`), every activation multiplies the gradient by its "
         "derivative.",
         "Backward through an activation: $\\partial L/\\partial z = \\partial L/\\partial a \\odot f'(z)$. "
         "Where $f'(z) \\approx 0$ the gradient stops.",
         "Diagram of a chain of four boxes: z = Wx + b, a = f(z), the rest of the network, and the loss L. "
         "Black arrows run forward left to right, red arrows run backward right to left. The red formula says "
         "dL/dz equals dL/da times f prime of z, and a note says that when f prime is near 0, as in a saturated "
         "sigmoid or a dead ReLU, nothing flows back."),
    ],
    "networks": [
        ("networks-layer-5-10", "## A fully connected layer",
         "{numref}`fig-networks-layer-5-10` counts the parameters of a layer off the picture: one line per weight, "
         "one bias per output.",
         "A fully connected layer with $n_\\text{in} = 5$ and $n_\\text{out} = 10$: $W$ is $10 \\times 5$, "
         "50 weights and 10 biases, 60 parameters (counted with `count_parameters`).",
         "Diagram of 5 input circles on the left, each connected by a line to each of 10 output circles on the "
         "right: 50 lines. Text: W in R 10 by 5, 10 times 5 = 50 weights; b in R 10, 10 biases; parameters "
         "50 + 10 = 60."),
        ("networks-3-3-2-2", "## The worked example: 3 → 3 → 2 → 2",
         "{numref}`fig-networks-3-3-2-2` draws the worked example with the shape of every weight matrix.",
         "The worked example 3 → 3 → 2 → 2: the shapes of $W_1, W_2, W_3$ and the parameters of each layer, "
         "26 in all.",
         "Diagram of a network with four columns of circles: 3 inputs, 3 sigmoid units, 2 ReLU units, 2 "
         "softmax outputs, every circle joined to every circle of the next column. Below, W1 is 3 by 3 with "
         "3 times 3 plus 3 = 12 parameters, W2 is 2 by 3 with 8, W3 is 2 by 2 with 6; total 26."),
    ],
    "init": [
        ("init-variance", "## Fans, and why the variance of the weights matters",
         "{numref}`fig-init-variance` shows the multiplication layer after layer.",
         "The variance of the activations after each layer, when every layer multiplies it by "
         "$\\text{fan\\_in}\\,\\sigma_w^2 = 2$, $1$ or $1/2$: it doubles, stays, or halves at every layer.",
         "Three rows of bars, one bar per layer from the input to layer 5, bar height following the spread. "
         "Red row, factor 2: variance 1, 2, 4, 8, 16, 32, bars growing. Green row, factor 1: variance 1 at "
         "every layer. Blue row, factor one half: 1, 0.5, 0.25 down to 0.0312, bars shrinking to thin lines."),
        ("init-fans", "## Xavier (Glorot) initialization",
         "{numref}`fig-init-fans` puts the two fans and the two rules side by side.",
         "Fan-in and fan-out of a dense layer with weight shape [3, 4], and the weight variances of Xavier and "
         "Kaiming initialization.",
         "Diagram of 4 input circles each joined to 3 output circles: fan_in = 4, fan_out = 3. A box beside it "
         "gives Xavier: sigma_w squared = 2 over fan_in plus fan_out, and Kaiming for ReLU: sigma_w squared = "
         "2 over fan_in."),
    ],
    "losses": [
        ("losses-soft-targets", "### Entropy, cross-entropy and KL divergence",
         "The target $p$ need not be one-hot ({numref}`fig-losses-soft-targets`); cross-entropy takes any "
         "distribution.",
         "A one-hot target and a smoothed target ($\\varepsilon = 0.1$) for class 2 of 5: cross-entropy "
         "scores the model $q$ against either.",
         "Two bar charts of a target distribution p over classes 0 to 4. Left, one-hot: class 2 has 1, the "
         "others 0. Right, smoothed with epsilon 0.1: class 2 has 0.92 and each other class 0.02."),
        ("losses-margin", "### Binary cross-entropy, and why the fused version is stable",
         "With labels $y \\in \\{-1, +1\\}$ and a score $f(x)$, classification losses are functions of the "
         "margin $m = y f(x)$ ({numref}`fig-losses-margin`); binary cross-entropy is the logistic one.",
         "Losses as functions of the margin $m = y\\,f(x)$: hinge, logistic (binary cross-entropy, in bits) and "
         "exponential, with the 0–1 loss they replace.",
         "Line plot of loss against margin m from -2 to 3. The 0-1 loss is a dashed step, 1 for m below 0 and "
         "0 above. Hinge is max(0, 1 - m), a straight line reaching 0 at m = 1. The logistic loss is a smooth "
         "curve through 1 at m = 0 that approaches 0 slowly. The exponential e to the -m also passes through 1 "
         "at m = 0 but rises steeply for negative margins."),
    ],
    "gradient-descent": [
        ("gd-graph", "## Backpropagation by hand",
         "{numref}`fig-gd-graph` is the computational graph of this example, with the gradient on every edge.",
         "The computational graph of the two-layer example: forward values with their shapes (black), and the "
         "backward gradients $G$ that flow against the arrows (red).",
         "Five boxes left to right: X of shape 4 by 3, Z1 of shape 4 by 5, H of shape 4 by 5, Y hat of shape 4 "
         "by 1, and L. Black forward arrows are labelled X W1 transpose + b1, sigma, H W2 transpose + b2, and "
         "MSE. Red backward arrows carry G_Yhat = 2 over N times (Y hat - Y), G_H = G_Yhat W2, G_Z1 = G_H times "
         "H(1 - H), and the weight gradients G_W1 = G_Z1 transpose X and G_W2 = G_Yhat transpose H."),
        ("gd-batches", "## Batch, stochastic and mini-batch gradient descent",
         "{numref}`fig-gd-batches` shows how many examples each kind of step reads.",
         "With $N = 16$ examples: batch gradient descent uses all 16 for one step per epoch, mini-batches of 4 "
         "give 4 steps, stochastic gradient descent 16 steps of one example.",
         "Three rows of 16 small squares, one square per example. Batch row: all 16 filled, 1 step per epoch. "
         "Mini-batch row: the first 4 filled, 4 steps per epoch. Stochastic row: only the first filled, 16 "
         "steps per epoch."),
    ],
    "optimizers": [
        ("optimizers-momentum", "## Momentum",
         "{numref}`fig-optimizers-momentum` adds the two vectors, and lists the chapter's three steps.",
         "A momentum step: the velocity $b_t$ is the decayed old velocity $\\mu\\,b_{t-1}$ plus the new "
         "gradient $g_t$; the weights move by $-\\alpha\\,b_t$. The numbers are the worked example's.",
         "Vector diagram from a point w_(t-1): a blue arrow mu b_(t-1) points right, an orange arrow g_t "
         "continues from its tip downwards, and a green arrow b_t goes from the start to the end of the two, "
         "their sum. Beside it the chapter's numbers: b1 = 1, w1 = 0.99; b2 = 1.89, w2 = 0.9711; b3 = 2.6721, "
         "w3 = 0.944379."),
        ("optimizers-nesterov", "**Nesterov** momentum evaluates",
         "{numref}`fig-optimizers-nesterov` shows the one difference: where the gradient is evaluated.",
         "Classic momentum takes the gradient at the current $w$; Nesterov first follows the momentum and takes "
         "the gradient at the look-ahead point.",
         "Two panels. Left, momentum: from the point w, a blue arrow mu b and an orange gradient arrow g(w) both "
         "start at w. Right, Nesterov: the blue arrow mu b leads to a green look-ahead point, and the orange "
         "gradient arrow starts there, labelled g(w - alpha mu b)."),
    ],
    "regularization": [
        ("regularization-dropout", "## Dropout",
         "{numref}`fig-regularization-dropout` shows one training step's mask.",
         "Dropout with $p = 0.4$ in one training step: dropped units output 0 and pass no gradient back; kept "
         "units are multiplied by $1/(1-p)$ (inverted dropout). In evaluation every unit is used.",
         "A network of four columns: 4 inputs, two hidden layers of 5 units, 2 outputs. In each hidden layer "
         "two units are crossed out with a red x and their connections are greyed out. Notes: dropped units "
         "output 0 and pass no gradient back; kept units are multiplied by 1/(1-p) = 1.67; in evaluation all "
         "units are used with no scaling."),
        ("regularization-norms", "## Batch normalization",
         "{numref}`fig-regularization-norms` compares the axis batch normalization averages over with the one "
         "layer normalization uses.",
         "Batch normalization computes $\\mu_B$ and $\\sigma_B^2$ for each feature over the $m$ examples of "
         "the batch (a column); layer normalization computes a mean and a variance for each example over its "
         "features (a row).",
         "Two grids of 4 rows (examples) by 5 columns (features). In the left grid, batch norm, one column is "
         "shaded: the statistics of one feature over the batch. In the right grid, layer norm, one row is "
         "shaded: the statistics of one example over its features."),
    ],
    "conv": [
        ("conv-channels", "### Several input channels, several kernels",
         "{numref}`fig-conv-channels` draws the stack for $C_\\text{in} = 3$ and two kernels.",
         "Convolution over several channels: each kernel has one $k_h \\times k_w$ slice per input channel, "
         "sums over all $C_\\text{in}$ of them and adds its bias, and gives one output map; $C_\\text{out}$ "
         "kernels give $C_\\text{out}$ maps.",
         "Diagram: on the left an input of three stacked channels, shown as three offset squares, with a blue "
         "window on the front one; labelled input [C_in, H, W], C_in = 3 channels. In the middle two kernels, "
         "each a stack of three small slices labelled [C_in, k_h, k_w], kernel 1 in blue and kernel 2 in "
         "orange. Arrows lead from each kernel, summed over C_in plus the bias b, to one of two stacked output "
         "maps labelled output [C_out, H', W'], one map per kernel. Below: weight [C_out, C_in, k_h, k_w], "
         "C_out times (C_in k_h k_w + 1) parameters; Conv2d(3, 100, 3) has 100 times (3·3·3 + 1) = 2,800."),
        ("conv-padding-stride", "### Padding and stride",
         "{numref}`fig-conv-padding-stride` checks the formula on a small case.",
         "A 3×3 kernel on a 5×5 input with padding 1 and stride 2: the padded input is 7×7, the window moves "
         "2 pixels at a time, and the output is 3×3, as `conv_output_size` computes.",
         "A 7 by 7 grid whose outer ring of cells holds zeros: the padding around a 5 by 5 input. A red 3 by 3 "
         "square marks the kernel's first position in the top-left corner, an orange one its second position "
         "2 cells to the right, with an arrow labelled stride 2. Beside it a 3 by 3 output grid whose first two "
         "cells are coloured red and orange, and the formula n_out = floor((n + 2p - k) / s) + 1 = floor((5 + 2 "
         "- 3) / 2) + 1 = 3."),
        ("conv-pooling", "## Pooling",
         "{numref}`fig-conv-pooling` pools one 4×4 patch both ways.",
         "Max and average pooling with 2×2 windows and stride 2 on the same 4×4 patch: each coloured window "
         "becomes one number.",
         "A 4 by 4 grid of numbers, rows 1 3 2 0; 4 6 1 1; 0 2 5 7; 3 1 8 4, split into four coloured 2 by 2 "
         "windows. Max pooling gives the 2 by 2 grid 6 2; 3 8. Average pooling gives 3.5 1; 1.5 6."),
        ("conv-lenet", "## LeNet-5",
         "{numref}`fig-conv-lenet` draws the table: the maps shrink while their number grows.",
         "LeNet-5 on a 28×28 digit: the output shape of every layer and its parameters, 61,706 in all "
         "(from `summary(LeNet5(), (1, 1, 28, 28))`).",
         "Diagram of LeNet-5. A row of feature-map stacks, drawn to scale: the input 1×28×28, C1 (convolution "
         "5×5, padding 2) 6×28×28 with 156 parameters, S2 (pooling 2×2) 6×14×14 with 0, C3 (convolution 5×5) "
         "16×10×10 with 2,416, S4 (pooling 2×2) 16×5×5 with 0. A line leads down to a second row: flatten to "
         "400 values, C5 with 120 units (48,120 parameters), F6 with 84 units (10,164), and the output with 10 "
         "units (850)."),
        ("conv-residual", "## Residual connections",
         "{numref}`fig-conv-residual` draws the block measured above.",
         "A residual block: the convolution and ReLU compute $F(x)$, the identity path carries $x$ around them "
         "to the sum $y = x + F(x)$; backward, $\\partial y/\\partial x = I + \\partial F/\\partial x$.",
         "Diagram: x enters a box Conv2d 3×3 padding 1, then a box ReLU, whose output F(x) goes into a plus "
         "node that gives y. A green line leaves x, runs above the two boxes and enters the plus node directly: "
         "the identity, same shape because padding keeps H and W. A red arrow points backward from y, with the "
         "text: backward, dy/dx = I + dF/dx; the gradient reaches x through the identity even where dF/dx "
         "fades."),
    ],
    "recurrent": [
        ("recurrent-unrolled", "## Backpropagation through time",
         "{numref}`fig-recurrent-unrolled` unrolls three steps and marks the gradient's way back.",
         "The RNN unrolled over three steps, with the same $W_{ih}$ and $W_{hh}$ at every step; backpropagation "
         "through time (red) carries the gradient back through every $h_t$.",
         "Diagram: a grey circle h0, then three boxes h1, h2, h3 and a box L in a row, joined by black arrows "
         "labelled W_hh. Below each box an input circle x1, x2, x3 sends an arrow labelled W_ih up into it. Red "
         "arrows run back from L through h3, h2 and h1: the gradient is a product of one derivative of h_t with "
         "respect to h_(t-1) per step."),
        ("recurrent-lstm", "## The LSTM",
         "{numref}`fig-recurrent-lstm` draws these equations as one cell.",
         "The LSTM cell with the chapter's symbols: the gates $f_t$, $i_t$, $o_t$ and the candidate $g_t$ read "
         "$x_t$ and $h_{t-1}$; the cell-state line carries $c_{t-1}$ to $c_t$ through one multiplication and "
         "one addition.",
         "Diagram of an LSTM cell. A thick horizontal line at the top carries c_(t-1) from left to right to "
         "c_t; on it a multiplication node fed by the forget gate f_t, then an addition node fed by the product "
         "of the input gate i_t and the candidate g_t. At the bottom, h_(t-1) and x_t feed four boxes: f_t "
         "sigma, i_t sigma, g_t tanh, o_t sigma. On the right, c_t passes through tanh and is multiplied by o_t "
         "to give h_t. The equations c_t = f_t times c_(t-1) + i_t times g_t and h_t = o_t times tanh(c_t) are "
         "written below."),
        ("recurrent-gru", "## The GRU",
         "{numref}`fig-recurrent-gru` shows the GRU's two gates.",
         "The GRU cell: the reset gate $r_t$ scales the old state inside the candidate $n_t$, and the update "
         "gate $z_t$ mixes $n_t$ with $h_{t-1}$.",
         "Diagram: h_(t-1) and x_t feed a reset gate box r_t sigma and an update gate box z_t sigma. x_t and "
         "the reset gate feed the candidate box n_t tanh. A box on the right computes h_t = (1 - z_t) times n_t "
         "+ z_t times h_(t-1), with a line carrying h_(t-1) straight to it across the top: when z_t is near 1 "
         "the old state and its gradient pass through."),
    ],
    "capstone": [
        ("capstone-pipeline", "## The data, and a split anyone can repeat",
         "{numref}`fig-capstone-pipeline` is the whole chapter in one line.",
         "The capstone pipeline: MNIST digits, a stratified split with seed 0, scaling to $[0, 1]$, training "
         "with Adam and cross-entropy, evaluation on the held-out test set.",
         "Five boxes joined by arrows: MNIST 5,000 digits; stratified split, seed 0 (4,000 train, 1,000 test); "
         "scale to [0, 1]; train with Adam and cross-entropy (mini-batches of 100, 5 epochs); evaluate on the "
         "test set (accuracy, confusions)."),
        ("capstone-mlp", "## The classic classifier: 784 → 500 → 10",
         "{numref}`fig-capstone-mlp` shows where those parameters are.",
         "The 784 → 500 → 10 network: $W_1$ is [500, 784] and holds almost all of the 397,510 parameters.",
         "Three boxes: the input x with 784 values, a hidden ReLU layer of 500 units, and 10 softmax outputs. "
         "The arrow from input to hidden is labelled W1: [500, 784], 392,500 parameters; the arrow from hidden "
         "to output W2: [10, 500], 5,010 parameters. Total 397,510 parameters, 99 % of them in W1 and b1."),
    ],
}


def cell_source(name, lead, caption, alt):
    return (f"{lead}\n\n```{{figure}} ../figures/{name}.svg\n:name: fig-{name}\n:alt: {alt}\n:width: 100%\n\n"
        f"{caption}\n```")


def main(chapters):
    for ch in chapters or FIGS:
        path = BOOK / ch / f"{ch}.ipynb"
        nb = nbformat.read(path, as_version=4)
        insert(nb, ch)
        nbformat.write(nb, path)
        print("updated", path)


def insert(nb, ch):
    """Insert or update chapter ``ch``'s diagram cells in the notebook ``nb`` (in place)."""
    for name, anchor, lead, caption, alt in FIGS[ch]:
        cid = f"fig-{name}"
        src = cell_source(name, lead, caption, alt)
        existing = [c for c in nb.cells if c.get("id") == cid]
        if existing:
            existing[0].source = src
            continue
        idx = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and anchor in c.source]
        if len(idx) != 1:
            raise SystemExit(f"{ch}: anchor {anchor!r} found {len(idx)} times")
        pos = idx[0] + 1
        if nb.cells[idx[0]].source.rstrip().endswith(":"):  # the prose leads into code: keep them together
            while pos < len(nb.cells) and nb.cells[pos].cell_type == "code":
                pos += 1
        cell = nbformat.v4.new_markdown_cell(src)
        cell["id"] = cid
        nb.cells.insert(pos, cell)
    return nb


if __name__ == "__main__":
    main(sys.argv[1:])
