"""The bad-input table (issue 21 item 3): every public callable of nnbasics, fed bad inputs.

Each row of ``RAISES`` calls one public callable with one bad input and names the exception type
and a regex the message must match: the argument's name and what was expected. No raw IndexError,
ZeroDivisionError or KeyError from inside, no silently wrong answer. Where torch *accepts* an input
that looks odd, the row is in ``MATCHES`` instead and asserts nnbasics gives torch's answer.
``test_every_public_callable_has_a_row`` makes sure new API cannot skip the table.
Rows failing because of a module another helper is fixing are xfails naming that helper.
"""
# ruff: noqa: E501  (a table reads best one row a line)

from __future__ import annotations

import importlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnbasics import (
    activations,
    attention,
    capstone,
    conv,
    debugging,
    explorer,
    gradcheck,
    init,
    layers,
    losses,
    numerics,
    optim,
    recurrent,
    regularization,
    training,
    utils,
)
from nnbasics.optim import lr_scheduler

MODULES = ["nnbasics", "activations", "numerics", "layers", "init", "losses", "gradcheck", "training", "optim",
           "optim.lr_scheduler", "regularization", "conv", "recurrent", "capstone", "utils", "explorer",
           "debugging", "attention"]


def public_callables() -> set[str]:
    names = set()
    for module in MODULES:
        mod = importlib.import_module(module if module == "nnbasics" else f"nnbasics.{module}")
        prefix = "" if module == "nnbasics" else f"{module}."
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj) and not isinstance(obj, type(torch)):
                names.add(f"{prefix}{name}")
    return names


def x(*shape, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=dtype)


def params():
    return [nn.Parameter(x(3))]


def sgd():
    return torch.optim.SGD(params(), lr=0.1)


def loader(n=4):
    return [(x(n, 3, dtype=torch.float32), torch.zeros(n, dtype=torch.long))]


LONG = torch.tensor([0, 1, 2])
R = pytest.param
H2 = "H2 fixing: "

# (qualified name, call, exception type, message regex naming the argument)
RAISES = [
    # nnbasics (top level) and utils
    R("reproducible", lambda: utils.reproducible(seed="a"), (TypeError, ValueError), "seed", id="reproducible-seed-str"),
    R("utils.reproducible", lambda: utils.reproducible(seed=-1), ValueError, "seed", id="utils.reproducible-neg"),
    R("utils.reproducible", lambda: utils.reproducible(threads=0), ValueError, "threads", id="threads-0"),
    R("show_source", lambda: utils.show_source(), ValueError, "at least one", id="show_source-none"),
    R("utils.show_source", lambda: utils.show_source(3), TypeError, "source|int", id="show_source-int"),
    R("utils.Source", lambda: utils.Source(3), TypeError, "source|int", id="Source-int"),
    R("utils.evaluating", lambda: utils.evaluating("net").__enter__(), TypeError, "model", id="evaluating-str"),
    R("utils.forbid", lambda: utils.forbid().__enter__(), ValueError, "at least one name", id="forbid-none"),
    R("utils.forbid", lambda: utils.forbid(3).__enter__(), TypeError, "dotted names", id="forbid-int"),
    R("utils.forbid", lambda: utils.forbid("torch.nosuch").__enter__(), ValueError, "names nothing",
      id="forbid-missing"),
    R("explorer.Explorer", lambda: explorer.Explorer(3, print, alt="x", k=explorer.Slider([1, 2], "k")),
      TypeError, "compute", id="Explorer-compute"),
    R("explorer.Slider", lambda: explorer.Slider("abc", "k"), TypeError, "values", id="Slider-str"),
    R("explorer.Dropdown", lambda: explorer.Dropdown([], "f"), TypeError, "options", id="Dropdown-empty"),
    R("explorer.View", lambda: explorer.View({}, {}, set()).data("x"), ValueError, "table", id="View-table"),
    # activations
    *[R(f"activations.{n}", (lambda n=n: getattr(activations, n)([1.0, 2.0])), TypeError, "input",
        id=f"{n}-list") for n in ("relu", "sigmoid", "tanh", "elu", "leaky_relu", "gelu", "silu", "softplus")],
    R("activations.relu", lambda: activations.relu(LONG), TypeError, "input.*float|dtype", id="relu-long"),
    R("activations.softmax", lambda: activations.softmax(x(2, 3), dim=2), ValueError, "dim", id="softmax-dim"),
    R("activations.log_softmax", lambda: activations.log_softmax(x(2, 3), dim="a"), TypeError, "dim",
      id="log_softmax-dim-str"),
    R("activations.elu", lambda: activations.elu(x(3), alpha="a"), TypeError, "alpha", id="elu-alpha"),
    R("activations.leaky_relu", lambda: activations.leaky_relu(x(3), negative_slope=None), TypeError,
      "negative_slope", id="leaky_relu-slope"),
    R("activations.gelu", lambda: activations.gelu(x(3), approximate="fast"), ValueError, "approximate",
      id="gelu-approximate"),
    R("activations.softplus", lambda: activations.softplus(x(3), beta="a"), TypeError, "beta", id="softplus-beta"),
    R("numerics.sigmoid", lambda: numerics.sigmoid([1.0]), TypeError, "x must be a torch.Tensor", id="num-sigmoid"),
    R("numerics.tanh", lambda: numerics.tanh(torch.arange(3)), TypeError, "x must be a floating", id="num-tanh"),
    R("numerics.softplus", lambda: numerics.softplus(2.0), TypeError, "z must be a torch.Tensor", id="num-softplus"),
    R("numerics.log_softmax", lambda: numerics.log_softmax(x(2, 3), 2), ValueError, "dim must be in", id="num-lsm"),
    R("activations.ELU", lambda: activations.ELU(alpha="a"), TypeError, "alpha", id="ELU-alpha"),
    R("activations.GELU", lambda: activations.GELU(approximate="fast"), ValueError, "approximate", id="GELU"),
    R("activations.LeakyReLU", lambda: activations.LeakyReLU("a"), TypeError, "negative_slope", id="LeakyReLU"),
    R("activations.LogSoftmax", lambda: activations.LogSoftmax(dim="a")(x(2, 3)), TypeError, "dim", id="LogSoftmax"),
    R("activations.Softmax", lambda: activations.Softmax(dim="a")(x(2, 3)), TypeError, "dim", id="Softmax"),
    R("activations.Softplus", lambda: activations.Softplus(beta="a"), TypeError, "beta", id="Softplus"),
    *[R(f"activations.{n}", (lambda n=n: getattr(activations, n)()([1.0])), TypeError, "input", id=f"{n}-list")
      for n in ("ReLU", "SiLU", "Sigmoid", "Tanh")],
    # layers
    R("layers.Linear", lambda: layers.Linear(-1, 3), ValueError, "in_features", id="Linear-neg"),
    R("layers.Linear", lambda: layers.Linear(2.5, 3), (TypeError, ValueError), "in_features", id="Linear-float"),
    R("layers.Linear", lambda: layers.Linear(3, 2)(x(4, 5, dtype=torch.float32)), ValueError, "input.*3|in_features",
      id="Linear-shape"),
    R("layers.count_parameters", lambda: layers.count_parameters("net"), TypeError, "model", id="count_parameters"),
    R("layers.summary", lambda: layers.summary(nn.Linear(3, 2), input_size=-3), TypeError, "input_size",
      id="summary-int"),
    R("layers.summary", lambda: layers.summary(nn.Linear(3, 2), (1, -3)), ValueError, "input_size",
      id="summary-negative"),
    R("layers.summary", lambda: layers.summary("net", (1, 3)), TypeError, "model", id="summary-model"),
    R("layers.LayerRow", lambda: layers.LayerRow("a"), TypeError, "kind", id="LayerRow-missing"),
    # init
    R("init.calculate_gain", lambda: init.calculate_gain("swish"), ValueError, "nonlinearity", id="gain-name"),
    R("init.calculate_gain", lambda: init.calculate_gain("leaky_relu", "a"), TypeError, "param|negative_slope",
      id="gain-param"),
    R("init.compute_fans", lambda: init.compute_fans(torch.zeros(3)), ValueError, "tensor.*2|dimension",
      id="fans-1d"),
    R("init.constant_", lambda: init.constant_([1.0], 0.0), TypeError, "tensor", id="constant-list"),
    R("init.ones_", lambda: init.ones_([1.0]), TypeError, "tensor", id="ones-list"),
    R("init.zeros_", lambda: init.zeros_(None), TypeError, "tensor", id="zeros-none"),
    R("init.normal_", lambda: init.normal_(torch.empty(3), std=-1.0), ValueError, "std", id="normal-std"),
    R("init.uniform_", lambda: init.uniform_(torch.empty(3), a=1.0, b=0.0), ValueError, "a|b", id="uniform-ab"),
    R("init.xavier_uniform_", lambda: init.xavier_uniform_(torch.empty(3)), ValueError, "tensor|dimension",
      id="xavier_uniform-1d"),
    R("init.xavier_normal_", lambda: init.xavier_normal_(torch.empty(3)), ValueError, "tensor|dimension",
      id="xavier_normal-1d"),
    R("init.kaiming_uniform_", lambda: init.kaiming_uniform_(torch.empty(3, 3), mode="fan"), ValueError, "mode",
      id="kaiming_uniform-mode"),
    R("init.kaiming_normal_", lambda: init.kaiming_normal_(torch.empty(3, 3), nonlinearity="swish"), ValueError,
      "nonlinearity", id="kaiming_normal-nl"),
    R("init.orthogonal_", lambda: init.orthogonal_(torch.empty(3)), ValueError, "tensor.*2 dimensions",
      id="orthogonal-1d"),
    R("init.orthogonal_", lambda: init.orthogonal_(torch.empty(3, 3), gain=-1.0), ValueError, "gain",
      id="orthogonal-gain"),
    R("init.jacobian_products", lambda: init.jacobian_products([x(3, 3), x(3, 3)], [x(3)]), ValueError,
      "weights and derivatives must have one entry per layer", id="jacobian_products-count"),
    R("init.jacobian_products", lambda: init.jacobian_products(x(3, 3), [x(4)]), ValueError,
      r"derivatives\[0\] must be a vector of the 3 rows", id="jacobian_products-size"),
    R("init.jacobian_spectra", lambda: init.jacobian_spectra([x(3, 3)], "gelu", x(3)), ValueError, "nonlinearity",
      id="jacobian_spectra-nonlinearity"),
    R("init.jacobian_spectra", lambda: init.jacobian_spectra([x(3, 3)], "tanh", x(3), depths=[2]), ValueError,
      "depths must be between 1 and the number of layers", id="jacobian_spectra-depth"),
    # losses
    *[R(f"losses.{n}", (lambda n=n: getattr(losses, n)(x(4), x(4).abs(), reduction="avg")), ValueError,
        "reduction", id=f"{n}-reduction")
      for n in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div", "mape", "msle",
                "binary_cross_entropy_with_logits")],
    *[R(f"losses.{n}", (lambda n=n: getattr(losses, n)(x(4), x(5))), ValueError, "target|input|size|shape",
        id=f"{n}-shape") for n in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss")],
    R("losses.binary_cross_entropy", lambda: losses.binary_cross_entropy(x(4).sigmoid(), x(5).sigmoid()),
      ValueError, "target|input|size", id="bce-shape"),
    R("losses.binary_cross_entropy", lambda: losses.binary_cross_entropy(x(4).sigmoid(), x(4), reduction="x"),
      ValueError, "reduction", id="bce-reduction"),
    R("losses.cross_entropy", lambda: losses.cross_entropy(x(4, 3), torch.tensor([0, 1, 2])), ValueError,
      "target|batch|size", id="ce-batch"),
    R("losses.cross_entropy", lambda: losses.cross_entropy(x(3, 3), LONG, reduction="avg"), ValueError,
      "reduction", id="ce-reduction"),
    R("losses.cross_entropy", lambda: losses.cross_entropy(x(3, 3), LONG, label_smoothing=1.5), ValueError,
      "label_smoothing", id="ce-smoothing"),
    R("losses.cross_entropy", lambda: losses.cross_entropy(x(3, 3), torch.tensor([0, 1, 5])), ValueError,
      "target|class", id="ce-class-range"),
    R("losses.nll_loss", lambda: losses.nll_loss(x(4, 3), LONG), ValueError, "target|batch|size", id="nll-batch"),
    R("losses.nll_loss", lambda: losses.nll_loss(x(3, 3), LONG.double()), TypeError, "target", id="nll-dtype"),
    R("losses.hinge_embedding_loss", lambda: losses.hinge_embedding_loss(x(4), x(4), reduction="x"), ValueError,
      "reduction", id="hinge-reduction"),
    R("losses.huber_loss", lambda: losses.huber_loss(x(4), x(4), delta=0.0), ValueError, "delta", id="huber-delta"),
    R("losses.smooth_l1_loss", lambda: losses.smooth_l1_loss(x(4), x(4), beta=-1.0), ValueError, "beta",
      id="smooth_l1-beta"),
    *[R(f"losses.{n}", (lambda n=n: getattr(losses, n)(reduction="avg")), ValueError, "reduction", id=f"{n}")
      for n in ("BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeEmbeddingLoss", "HuberLoss",
                "KLDivLoss", "L1Loss", "MSELoss", "NLLLoss", "SmoothL1Loss")],
    # gradcheck
    R("gradcheck.gradcheck", lambda: gradcheck.gradcheck(3, x(3).requires_grad_()), TypeError, "fn|func",
      id="gradcheck-fn"),
    R("gradcheck.gradcheck", lambda: gradcheck.gradcheck(torch.sin, x(3)), ValueError, "requires_grad|input",
      id="gradcheck-no-grad"),
    R("gradcheck.gradcheck", lambda: gradcheck.gradcheck(torch.sin, x(3).requires_grad_(), eps=0.0), ValueError,
      "eps", id="gradcheck-eps"),
    R("gradcheck.gradcheck", lambda: gradcheck.gradcheck(torch.sin, x(3).requires_grad_(), fast_mode=True),
      ValueError, "fast_mode", id="gradcheck-fast_mode"),
    R("gradcheck.gradcheck", lambda: gradcheck.gradcheck(torch.sin, x(3).requires_grad_(), nondet_tol=-1.0),
      ValueError, "nondet_tol", id="gradcheck-nondet_tol"),
    R("gradcheck.check_gradients", lambda: gradcheck.check_gradients(torch.sin, [1.0]), TypeError, "input",
      id="check_gradients-list"),
    R("gradcheck.check_gradients", lambda: gradcheck.check_gradients(torch.sin, x(3).requires_grad_(),
                                                                     n_worst=-1), ValueError, "n_worst",
      id="check_gradients-n_worst"),
    R("gradcheck.numerical_jacobian", lambda: gradcheck.numerical_jacobian(torch.sin, [x(3).requires_grad_()], eps=-1.0),
      ValueError, "eps", id="numerical_jacobian-eps"),
    R("gradcheck.GradcheckError", lambda: (_ for _ in ()).throw(gradcheck.GradcheckError("gradient of input 0")),
      gradcheck.GradcheckError, "input 0", id="GradcheckError-raise"),
    R("gradcheck.GradcheckResult", lambda: gradcheck.GradcheckResult(True), TypeError, "max_abs_error",
      id="GradcheckResult-missing"),
    R("gradcheck.Mismatch", lambda: gradcheck.Mismatch(0), TypeError, "in_index", id="Mismatch-missing"),
    # training
    R("training.accuracy", lambda: training.accuracy(x(4, 3), LONG), ValueError, "target|size|batch",
      id="accuracy-batch"),
    R("training.accuracy", lambda: training.accuracy([0.1], LONG), TypeError, "output", id="accuracy-list"),
    R("training.evaluate", lambda: training.evaluate("net", F.cross_entropy, loader()), TypeError, "model",
      id="evaluate-model"),
    R("training.evaluate", lambda: training.evaluate(nn.Linear(3, 3), F.cross_entropy, []), ValueError,
      "loader|empty", id="evaluate-empty"),
    R("training.fit", lambda: training.fit(nn.Linear(3, 3), F.cross_entropy, sgd(), loader(), epochs=0,
                                           progress=False), ValueError, "epochs", id="fit-epochs-0"),
    R("training.fit", lambda: training.fit(nn.Linear(3, 3), F.cross_entropy, "sgd", loader(), epochs=1,
                                           progress=False), TypeError, "optimizer", id="fit-optimizer"),
    R("training.fit", lambda: training.fit(nn.Linear(3, 3), F.cross_entropy, sgd(), [], epochs=1,
                                           progress=False), ValueError, "train_loader|empty", id="fit-empty"),
    R("training.fit", lambda: training.fit(nn.Linear(3, 3), F.cross_entropy, sgd(), loader(), epochs=1,
                                           progress=False, max_grad_norm=-1.0), ValueError, "max_grad_norm",
      id="fit-max_grad_norm"),
    R("training.train_step", lambda: training.train_step(nn.Linear(3, 3), F.cross_entropy, sgd(), *loader()[0],
                                                         max_grad_norm="1"), TypeError, "max_grad_norm",
      id="train_step-max_grad_norm"),
    R("training.train_step", lambda: training.train_step(nn.Linear(3, 3), "ce", sgd(), *loader()[0]), TypeError,
      "loss_fn", id="train_step-loss_fn"),
    R("training.History", lambda: training.History(epoch=3), TypeError, "epoch", id="History-epochs"),
    # optim
    *[R(f"optim.{n}", (lambda n=n: getattr(optim, n)(params(), lr=-0.1)), ValueError, "lr", id=f"{n}-lr")
      for n in ("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW")],
    R("optim.SGD", lambda: optim.SGD(params(), lr=0.1, momentum=-0.5), ValueError, "momentum", id="SGD-momentum"),
    R("optim.SGD", lambda: optim.SGD(params(), lr=0.1, nesterov=True), ValueError, "nesterov", id="SGD-nesterov"),
    R("optim.SGD", lambda: optim.SGD(params(), lr="fast"), TypeError, "lr", id="SGD-lr-str"),
    R("optim.SGD", lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list", id="SGD-no-params"),
    R("optim.Adam", lambda: optim.Adam(params(), betas=(0.9, 1.0)), ValueError, r"betas\[1\]", id="Adam-beta2"),
    R("optim.Adam", lambda: optim.Adam(params(), betas=0.9), TypeError, "betas", id="Adam-betas-float"),
    R("optim.AdamW", lambda: optim.AdamW(params(), weight_decay=-1.0), ValueError, "weight_decay", id="AdamW-wd"),
    R("optim.Adam", lambda: optim.Adam(params(), eps=-1e-8), ValueError, "eps", id="Adam-eps"),
    R("optim.Adadelta", lambda: optim.Adadelta(params(), rho=1.5), ValueError, "rho", id="Adadelta-rho"),
    R("optim.Adagrad", lambda: optim.Adagrad(params(), lr_decay=-1.0), ValueError, "lr_decay", id="Adagrad-decay"),
    R("optim.RMSprop", lambda: optim.RMSprop(params(), alpha=-0.5), ValueError, "alpha", id="RMSprop-alpha"),
    R("optim.ewma", lambda: optim.ewma([1.0, 2.0], beta=1.0), ValueError, "beta", id="ewma-beta"),
    R("optim.ewma", lambda: optim.ewma([1.0, 2.0], beta="a"), TypeError, "beta", id="ewma-beta-str"),
    # lr_scheduler
    *[R(f"optim.lr_scheduler.{n}", (lambda n=n, kw=kw: getattr(lr_scheduler, n)("sgd", **kw)), TypeError,
        "optimizer", id=f"{n}-optimizer")
      for n, kw in (("StepLR", {"step_size": 2}), ("MultiStepLR", {"milestones": [2]}),
                    ("ExponentialLR", {"gamma": 0.5}), ("CosineAnnealingLR", {"T_max": 3}), ("LinearLR", {}),
                    ("ReduceLROnPlateau", {}))],
    R("optim.lr_scheduler.StepLR", lambda: lr_scheduler.StepLR(sgd(), step_size=0), ValueError, "step_size",
      id="StepLR-0"),
    R("optim.lr_scheduler.MultiStepLR", lambda: lr_scheduler.MultiStepLR(sgd(), milestones=[-1]), ValueError,
      "milestone", id="MultiStepLR-neg"),
    R("optim.lr_scheduler.ExponentialLR", lambda: lr_scheduler.ExponentialLR(sgd(), gamma=-0.5), ValueError,
      "gamma", id="ExponentialLR-gamma"),
    R("optim.lr_scheduler.CosineAnnealingLR", lambda: lr_scheduler.CosineAnnealingLR(sgd(), T_max=0), ValueError,
      "T_max", id="Cosine-T_max"),
    R("optim.lr_scheduler.LinearLR", lambda: lr_scheduler.LinearLR(sgd(), start_factor=0.0), ValueError,
      "start_factor", id="LinearLR-start"),
    R("optim.lr_scheduler.LinearLR", lambda: lr_scheduler.LinearLR(sgd(), total_iters=0), ValueError,
      "total_iters", id="LinearLR-iters"),
    R("optim.lr_scheduler.ReduceLROnPlateau", lambda: lr_scheduler.ReduceLROnPlateau(sgd(), mode="up"),
      ValueError, "mode", id="Plateau-mode"),
    R("optim.lr_scheduler.ReduceLROnPlateau", lambda: lr_scheduler.ReduceLROnPlateau(sgd(), factor=1.0),
      ValueError, "factor", id="Plateau-factor"),
    R("optim.lr_scheduler.ReduceLROnPlateau", lambda: lr_scheduler.ReduceLROnPlateau(sgd(), min_lr=[0.0, 0.0]),
      ValueError, "min_lr", id="Plateau-min_lr"),
    R("optim.lr_scheduler.ReduceLROnPlateau", lambda: lr_scheduler.ReduceLROnPlateau(sgd()).step("low"),
      ValueError, "metrics|float", id="Plateau-metric-str"),
    # regularization
    R("regularization.dropout", lambda: regularization.dropout(x(4), p=1.5), ValueError, "p", id="dropout-p"),
    R("regularization.dropout", lambda: regularization.dropout(x(4), p=-0.1), ValueError, "p", id="dropout-neg"),
    R("regularization.dropout2d", lambda: regularization.dropout2d(x(2, 3, 4, 4), p=1.5), ValueError, "p",
      id="dropout2d-p"),
    R("regularization.dropout", lambda: regularization.dropout(x(4), scaling="half"), ValueError, "scaling",
      id="dropout-scaling"),
    R("regularization.Dropout", lambda: regularization.Dropout(p=2.0), ValueError, "p", id="Dropout-p"),
    R("regularization.Dropout2d", lambda: regularization.Dropout2d(p=-1.0), ValueError, "p", id="Dropout2d-p"),
    R("regularization.batch_norm", lambda: regularization.batch_norm(x(4, 3), torch.zeros(2), torch.ones(2)),
      ValueError, "running_mean|channels|features", id="batch_norm-features"),
    R("regularization.BatchNorm1d", lambda: regularization.BatchNorm1d(0), ValueError, "num_features",
      id="BatchNorm1d-0"),
    R("regularization.BatchNorm2d", lambda: regularization.BatchNorm2d(3)(x(2, 3, dtype=torch.float32)),
      ValueError, "4-D input", id="BatchNorm2d-ndim"),
    R("regularization.layer_norm", lambda: regularization.layer_norm(x(2, 3), (4,)), ValueError,
      "normalized_shape", id="layer_norm-shape"),
    R("regularization.LayerNorm", lambda: regularization.LayerNorm(-2), ValueError, "normalized_shape",
      id="LayerNorm-neg"),
    R("regularization.l1_penalty", lambda: regularization.l1_penalty("net"), TypeError, "model", id="l1-model"),
    R("regularization.l2_penalty", lambda: regularization.l2_penalty(None), TypeError, "model", id="l2-model"),
    R("regularization.EarlyStopping", lambda: regularization.EarlyStopping(patience=-1), ValueError, "patience",
      id="EarlyStopping-patience"),
    R("regularization.EarlyStopping", lambda: regularization.EarlyStopping(mode="up"), ValueError, "mode",
      id="EarlyStopping-mode"),
    # conv
    R("conv.conv2d", lambda: conv.conv2d(x(1, 3, 5, 5), x(2, 4, 3, 3)), ValueError, "channels|weight",
      id="conv2d-channels"),
    R("conv.conv2d", lambda: conv.conv2d(x(1, 3, 2, 2), x(2, 3, 3, 3)), ValueError, "kernel|input|size",
      id="conv2d-kernel-too-big"),
    R("conv.conv2d", lambda: conv.conv2d(x(1, 3, 5, 5), x(2, 3, 3, 3), stride=0), ValueError, "stride",
      id="conv2d-stride-0"),
    R("conv.conv2d", lambda: conv.conv2d(x(1, 3, 5, 5), x(2, 3, 3, 3), padding="full"), ValueError, "padding",
      id="conv2d-padding-str"),
    R("conv.conv1d", lambda: conv.conv1d(x(1, 3, 5), x(2, 3, 7)), ValueError, "kernel|input|size",
      id="conv1d-kernel-too-big"),
    R("conv.conv1d", lambda: conv.conv1d(x(1, 3, 5), x(2, 3, 3), dilation=0), ValueError, "dilation",
      id="conv1d-dilation-0"),
    R("conv.Conv2d", lambda: conv.Conv2d(3, 4, 3, padding="full"), ValueError, "padding", id="Conv2d-padding"),
    R("conv.Conv2d", lambda: conv.Conv2d(0, 4, 3), ValueError, "in_channels", id="Conv2d-0"),
    R("conv.Conv2d", lambda: conv.Conv2d(3, 4, 3, groups=2), ValueError, "groups", id="Conv2d-groups"),
    R("conv.Conv1d", lambda: conv.Conv1d(3, 4, -1), ValueError, "kernel_size", id="Conv1d-kernel"),
    R("conv.max_pool2d", lambda: conv.max_pool2d(x(1, 1, 4, 4), 2, 2, 2), ValueError, "padding",
      id="max_pool2d-padding-half-kernel"),
    R("conv.max_pool2d", lambda: conv.max_pool2d(x(1, 1, 2, 2), 5), ValueError, "kernel|input|size",
      id="max_pool2d-kernel-too-big"),
    R("conv.avg_pool2d", lambda: conv.avg_pool2d(x(1, 1, 4, 4), 0), ValueError, "kernel_size", id="avg_pool2d-0"),
    R("conv.avg_pool2d", lambda: conv.avg_pool2d(x(1, 1, 4, 4), 2, divisor_override=0), ValueError,
      "divisor_override", id="avg_pool2d-divisor-0"),
    R("conv.MaxPool2d", lambda: conv.MaxPool2d(0), ValueError, "kernel_size", id="MaxPool2d-0"),
    R("conv.AvgPool2d", lambda: conv.AvgPool2d(2, stride=-1), ValueError, "stride", id="AvgPool2d-stride"),
    R("conv.conv_output_size", lambda: conv.conv_output_size(5, 0), ValueError, "kernel_size",
      id="conv_output_size-0"),
    R("conv.conv_output_size", lambda: conv.conv_output_size(2, 5), ValueError, "kernel|input",
      id="conv_output_size-too-big"),
    R("conv.conv_parameters", lambda: conv.conv_parameters(-3, 4, 3), ValueError, "in_channels",
      id="conv_parameters-neg"),
    R("conv.conv_flops", lambda: conv.conv_flops(3, 4, 3, -2), ValueError, "output_size", id="conv_flops-neg"),
    R("conv.conv_macs", lambda: conv.conv_macs(3, 4, 0, 5), ValueError, "kernel_size", id="conv_macs-0"),
    R("conv.LeNet5", lambda: conv.LeNet5(activation="swish"), ValueError, "activation", id="LeNet5-activation"),
    R("conv.LeNet5", lambda: conv.LeNet5(pooling="sum"), ValueError, "pooling", id="LeNet5-pooling"),
    R("conv.affine_images", lambda: conv.affine_images(x(2, 1, 8, 8), scale=0.0), ValueError, "scale",
      id="affine_images-scale-0"),
    R("conv.Conv2dFunction", lambda: conv.Conv2dFunction.apply(x(1, 3, 5, 5), x(2, 4, 3, 3), None, 1, 0, 1, 1),
      ValueError, "channels|weight", id="Conv2dFunction-channels"),
    R("conv.MaxPool2dFunction", lambda: conv.MaxPool2dFunction.apply(x(1, 1, 4, 4), 0), ValueError, "kernel_size",
      id="MaxPool2dFunction-kernel"),
    R("conv.AvgPool2dFunction", lambda: conv.AvgPool2dFunction.apply(x(1, 1, 4, 4), 2, None, 0, False, True, 0),
      ValueError, "divisor_override", id="AvgPool2dFunction-divisor"),
    R("conv.im2col", lambda: conv.im2col(x(3, 5, 5), (2, 2), (1, 1), (1, 1), (4, 4)), ValueError, "x_p",
      id="im2col-3d"),
    R("conv.col2im", lambda: conv.col2im(x(4, 9), (1, 1, 5, 5), (2, 2), (1, 1), (1, 1), (4, 4)), ValueError, "cols",
      id="col2im-shape"),
    R("conv.Conv2d", lambda: conv.Conv2d(3, 4, 3, padding_mode="mirror"), ValueError, "padding_mode",
      id="Conv2d-padding_mode"),
    R("conv.Conv1d", lambda: conv.Conv1d(3, 4, 3, padding=3, padding_mode="reflect")(x(1, 3, 3)), ValueError,
      "padding", id="Conv1d-reflect-too-wide"),
    # recurrent
    R("recurrent.RNN", lambda: recurrent.RNN(3, 0), ValueError, "hidden_size", id="RNN-hidden-0"),
    R("recurrent.RNN", lambda: recurrent.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "nonlinearity",
      id="RNN-nonlinearity"),
    R("recurrent.LSTM", lambda: recurrent.LSTM(3, 4, dropout=1.5), ValueError, "dropout", id="LSTM-dropout"),
    R("recurrent.LSTM", lambda: recurrent.LSTM(3, 4)(x(5, 2, 7, dtype=torch.float32)), ValueError,
      "input.*3|input_size", id="LSTM-input-size"),
    R("recurrent.GRU", lambda: recurrent.GRU(3, 4, num_layers=0), ValueError, "num_layers", id="GRU-layers"),
    R("recurrent.RNNCell", lambda: recurrent.RNNCell(3, 4)(x(2, 5, dtype=torch.float32)), ValueError,
      "input.*3|input_size", id="RNNCell-input-size"),
    R("recurrent.LSTMCell", lambda: recurrent.LSTMCell(3, 4)(x(2, 3, dtype=torch.float32),
                                                             (x(2, 4, dtype=torch.float32),)),
      TypeError, "hx", id="LSTMCell-1-tuple"),
    R("recurrent.GRUCell", lambda: recurrent.GRUCell(3, 4)(x(2, 3, dtype=torch.float32), x(3, 4, dtype=torch.float32)),
      ValueError, "hidden state", id="GRUCell-hx-batch"),
    R("recurrent.clip_grad_norm_", lambda: recurrent.clip_grad_norm_(params(), max_norm="a"), TypeError,
      "max_norm", id="clip_grad_norm-max_norm"),
    R("recurrent.clip_grad_norm_", lambda: recurrent.clip_grad_norm_(params(), 1.0, norm_type="fro2"), ValueError,
      "norm_type", id="clip_grad_norm-norm_type"),
    R("recurrent.clip_grad_value_", lambda: recurrent.clip_grad_value_(params(), clip_value="a"), TypeError,
      "clip_value", id="clip_grad_value-str"),
    R("recurrent.truncated_forward", lambda: recurrent.truncated_forward(recurrent.RNN(2, 3), x(5, 1, 2), 0),
      ValueError, "k", id="truncated_forward-k-0"),
    R("recurrent.text_batch", lambda: recurrent.text_batch(torch.arange(10), length=10), ValueError,
      "length|ids", id="text_batch-too-long"),
    R("recurrent.text_batch", lambda: recurrent.text_batch(torch.arange(10).float(), length=3), TypeError,
      "ids", id="text_batch-float"),
    R("recurrent.CharLSTM", lambda: recurrent.CharLSTM(0), ValueError, "vocab_size", id="CharLSTM-0"),
    # the step Functions and loops check nothing (the modules do): a wrong shape is torch's matmul error
    R("recurrent.RNNStep", lambda: recurrent.RNNStep.apply(x(2, 4), x(2, 3), x(4, 4)), RuntimeError,
      "cannot be multiplied", id="RNNStep-h-shape"),
    R("recurrent.LSTMStep", lambda: recurrent.LSTMStep.apply(x(2, 8), x(2, 3), x(2, 2), x(8, 2)),
      RuntimeError, "cannot be multiplied", id="LSTMStep-h-shape"),
    R("recurrent.GRUStep", lambda: recurrent.GRUStep.apply(x(2, 6), x(2, 3), x(6, 2), x(6)), RuntimeError,
      "cannot be multiplied", id="GRUStep-h-shape"),
    R("recurrent.rnn_forward", lambda: recurrent.rnn_forward(x(3, 2, 5), x(2, 4), x(4, 3), x(4, 4), None, x(4)),
      RuntimeError, "cannot be multiplied", id="rnn_forward-input-size"),
    R("recurrent.lstm_forward", lambda: recurrent.lstm_forward(x(3, 2, 5), x(2, 2), x(2, 2), x(8, 3), x(8, 2),
                                                               None, x(8)),
      RuntimeError, "cannot be multiplied", id="lstm_forward-input-size"),
    R("recurrent.gru_forward", lambda: recurrent.gru_forward(x(3, 2, 5), x(2, 2), x(6, 3), x(6, 2), None, x(6)),
      RuntimeError, "cannot be multiplied", id="gru_forward-input-size"),
    R("recurrent.sample", lambda: recurrent.sample(recurrent.CharLSTM(5), torch.tensor([1]), temperature=0.0),
      ValueError, "temperature", id="sample-temperature"),
    R("recurrent.sample", lambda: recurrent.sample(recurrent.CharLSTM(5), torch.tensor([7])), ValueError,
      "prompt|vocab", id="sample-prompt-range"),
    R("recurrent.sample", lambda: recurrent.sample(recurrent.CharLSTM(5), torch.tensor([-1])), ValueError,
      "prompt", id="sample-prompt-negative"),
    R("recurrent.bits_per_char", lambda: recurrent.bits_per_char(recurrent.CharLSTM(5), torch.arange(5), length=10),
      ValueError, "length|ids", id="bits_per_char-too-long"),
    R("recurrent.input_gradients", lambda: recurrent.input_gradients(recurrent.RNN(4, 3), steps=0), ValueError,
      "steps", id="input_gradients-steps"),
    R("recurrent.input_gradients", lambda: recurrent.input_gradients(recurrent.RNN(3, 3)), ValueError,
      "input_size mismatch", id="input_gradients-size"),
    R("recurrent.lstm_gates", lambda: recurrent.lstm_gates(recurrent.GRU(2, 3), x(4, 1, 2)), TypeError, "LSTM",
      id="lstm_gates-layer"),
    R("recurrent.lstm_gates", lambda: recurrent.lstm_gates(recurrent.LSTM(2, 3), x(4, 2)), ValueError, "input",
      id="lstm_gates-input"),
    R("recurrent.state_jacobians", lambda: recurrent.state_jacobians(x(5, 3), x(4, 4)), ValueError,
      r"w_hh must be \(H, H\)", id="state_jacobians-shape"),
    R("recurrent.train_language_model", lambda: recurrent.train_language_model(
        recurrent.CharLSTM(5), sgd(), torch.arange(5).repeat(40), torch.arange(5).repeat(40), steps=0), ValueError,
      "steps", id="train_language_model-steps"),
    R("recurrent.train_language_model", lambda: recurrent.train_language_model(
        recurrent.CharLSTM(5), sgd(), torch.arange(5).repeat(40), torch.arange(5)), ValueError,
      "val_ids must hold at least", id="train_language_model-short"),
    # attention
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention([1.0], x(2, 3), x(2, 3)),
      TypeError, "query", id="sdpa-list"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(x(3), x(3), x(3)),
      ValueError, "at least 2-D", id="sdpa-1d"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(2, 3, dtype=torch.float32), x(2, 3)), TypeError, "same dtype", id="sdpa-dtypes"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(x(2, 3), x(4, 5), x(4, 3)),
      ValueError, "key must have query's last size E = 3", id="sdpa-E"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(x(2, 3), x(4, 3), x(5, 3)),
      ValueError, "value must have as many rows as key", id="sdpa-S"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(3, 2, 4), x(2, 5, 4), x(2, 5, 4)), ValueError, "batch dimensions.*broadcast", id="sdpa-batch"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), dropout_p=1.0), ValueError, "dropout_p must be < 1", id="sdpa-dropout-1"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), dropout_p=-0.1), ValueError, "dropout_p must be >= 0", id="sdpa-dropout-neg"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), attn_mask=torch.ones(2, 4, dtype=torch.long)), TypeError, "attn_mask.*bool",
      id="sdpa-mask-dtype"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), attn_mask=torch.ones(2, 5, dtype=torch.bool)), ValueError,
      r"attn_mask must broadcast to the scores' shape \(2, 4\)", id="sdpa-mask-shape"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), attn_mask=torch.ones(7, 2, 4, dtype=torch.bool)), ValueError, "attn_mask",
      id="sdpa-mask-bigger"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), torch.ones(2, 4, dtype=torch.bool), is_causal=True), ValueError,
      "attn_mask must be None when is_causal", id="sdpa-causal-and-mask"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), scale="a"), TypeError, "scale", id="sdpa-scale"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(1, 6, 2, 3), x(1, 4, 5, 3), x(1, 4, 5, 3), enable_gqa=True), ValueError, "enable_gqa.*divide",
      id="sdpa-gqa-heads"),
    R("attention.scaled_dot_product_attention", lambda: attention.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), enable_gqa=True), ValueError, "enable_gqa.*heads dimension", id="sdpa-gqa-2d"),
    # the Function checks nothing (scaled_dot_product_attention does): a wrong shape is torch's matmul error
    R("attention.ScaledDotProductAttentionFunction", lambda: attention.ScaledDotProductAttentionFunction.apply(
        x(2, 3), x(4, 5), x(4, 3), None, None, 1.0, 0.0), RuntimeError, "cannot be multiplied", id="SDPAFunction-E"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(6, 4), ValueError,
      r"embed_dim \(6\) must be divisible by num_heads \(4\)", id="MHA-divisible"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(6, 0), ValueError, "num_heads",
      id="MHA-heads-0"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(6, 2, dropout=1.0), ValueError, "dropout",
      id="MHA-dropout"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(6, 2, kdim=0), ValueError, "kdim",
      id="MHA-kdim"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(4, 2)(*[x(1, 3, 2, 4, dtype=torch.float32)] * 3),
      ValueError, "query must be", id="MHA-4d"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(4, 2)(*[x(3, 2, 5, dtype=torch.float32)] * 3),
      ValueError, "query must have 4 features", id="MHA-features"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(4, 2)(*[x(3, 2, 4)] * 3), TypeError,
      "query has dtype torch.float64", id="MHA-dtype"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(4, 2)(
        *[x(3, 2, 4, dtype=torch.float32)] * 3, key_padding_mask=torch.zeros(3, 2, dtype=torch.bool)), ValueError,
      r"key_padding_mask must have shape \(2, 3\)", id="MHA-kpm-shape"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(4, 2)(
        *[x(3, 2, 4, dtype=torch.float32)] * 3, attn_mask=torch.zeros(2, 3, 3, dtype=torch.bool)), ValueError,
      "attn_mask must have shape", id="MHA-mask-shape"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(4, 2)(
        *[x(3, 2, 4, dtype=torch.float32)] * 3, attn_mask=torch.zeros(3, 3, dtype=torch.long)), TypeError,
      "attn_mask must be a bool", id="MHA-mask-dtype"),
    R("attention.MultiheadAttention", lambda: attention.MultiheadAttention(4, 2)(
        *[x(3, 2, 4, dtype=torch.float32)] * 3, is_causal=True), ValueError, "is_causal.*attn_mask",
      id="MHA-causal-no-mask"),
    R("attention.positional_encoding", lambda: attention.positional_encoding(10, 0), ValueError, "d_model",
      id="positional_encoding-d0"),
    R("attention.positional_encoding", lambda: attention.positional_encoding(10, 4, dtype=torch.long), TypeError,
      "dtype", id="positional_encoding-dtype"),
    R("attention.PositionalEncoding", lambda: attention.PositionalEncoding(4, max_len=5)(x(2, 6, 4)), ValueError,
      "max_len = 5", id="PositionalEncoding-too-long"),
    R("attention.PositionalEncoding", lambda: attention.PositionalEncoding(4)(x(2, 6, 3)), ValueError, "d_model = 4",
      id="PositionalEncoding-d_model"),
    R("attention.TransformerEncoderBlock", lambda: attention.TransformerEncoderBlock(8, 2, activation="tanh"),
      ValueError, "activation", id="Block-activation"),
    R("attention.TransformerEncoderBlock", lambda: attention.TransformerEncoderBlock(8, 3), ValueError,
      "divisible by num_heads", id="Block-heads"),
    R("attention.CausalTransformerLM", lambda: attention.CausalTransformerLM(0), ValueError, "vocab_size",
      id="LM-vocab-0"),
    R("attention.CausalTransformerLM", lambda: attention.CausalTransformerLM(5, 8, 2, 1, max_len=4)(
        torch.zeros(1, 5, dtype=torch.long)), ValueError, "max_len = 4", id="LM-too-long"),
    R("attention.CausalTransformerLM", lambda: attention.CausalTransformerLM(5, 8, 2, 1)(torch.zeros(1, 5)),
      TypeError, "ids must be a 2-D int64", id="LM-float-ids"),
    R("attention.CausalTransformerLM", lambda: attention.CausalTransformerLM(5, 8, 2, 1)(
        torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 3, dtype=torch.long)), ValueError, "state",
      id="LM-state-batch"),
    R("attention.attention_maps", lambda: attention.attention_maps(attention.MultiheadAttention(8, 2),
                                                                     torch.zeros(1, 3, dtype=torch.long)),
      TypeError, "model must be a CausalTransformerLM", id="maps-model"),
    R("attention.attention_maps", lambda: attention.attention_maps(attention.CausalTransformerLM(5, 8, 2, 1),
                                                                     torch.zeros(1, 3)),
      TypeError, "ids must be a 2-D int64", id="maps-float-ids"),
    R("attention.attention_maps", lambda: attention.attention_maps(
        attention.CausalTransformerLM(5, 8, 2, 1, max_len=4), torch.zeros(1, 5, dtype=torch.long)),
      ValueError, "max_len = 4", id="maps-too-long"),
    # capstone
    R("capstone.confusion_matrix", lambda: capstone.confusion_matrix(LONG, torch.tensor([0, 1]), 3), ValueError,
      "targets|predictions|size", id="confusion-size"),
    R("capstone.confusion_matrix", lambda: capstone.confusion_matrix(LONG, LONG, num_classes=2), ValueError,
      "num_classes|predictions|targets", id="confusion-range"),
    R("capstone.confusion_matrix", lambda: capstone.confusion_matrix(LONG.float(), LONG, 3), TypeError,
      "predictions", id="confusion-float"),
    R("capstone.stratified_split", lambda: capstone.stratified_split(LONG, test_per_class=1), ValueError,
      "test_per_class", id="stratified-too-many"),
    R("capstone.stratified_split", lambda: capstone.stratified_split(LONG, test_per_class=-1), ValueError,
      "test_per_class", id="stratified-neg"),
    R("capstone.load_digits", lambda: capstone.load_digits(test_per_class=-1), ValueError, "test_per_class",
      id="load_digits-neg"),
    R("capstone.load_mnist", lambda: capstone.load_mnist(test_per_class=0), ValueError, "test_per_class",
      id="load_mnist-0"),
    R("capstone.load_mnist1d", lambda: capstone.load_mnist1d(seed="a"), (TypeError, ValueError), "seed", id="load_mnist1d-seed"),
    R("capstone.mlp", lambda: capstone.mlp(hidden=0), ValueError, "hidden", id="mlp-hidden"),
    R("capstone.Logistic", lambda: capstone.Logistic(input_size=-1), ValueError, "input_size", id="Logistic-neg"),
    R("capstone.MNIST1DMLP", lambda: capstone.MNIST1DMLP(hidden_size=0), ValueError, "hidden_size", id="MLP-0"),
    R("capstone.MNIST1DCNN", lambda: capstone.MNIST1DCNN(channels=0), ValueError, "channels", id="CNN-0"),
    R("capstone.MNIST1DGRU", lambda: capstone.MNIST1DGRU(time_steps=0), ValueError, "time_steps", id="GRU-0"),
    R("capstone.DigitsCNN", lambda: capstone.DigitsCNN(num_classes=0), ValueError, "num_classes", id="DigitsCNN-0"),
    R("capstone.Split", lambda: capstone.Split(x(4, 3), LONG, x(3, 3), LONG), ValueError, "y_train|X_train",
      id="Split-sizes"),
    R("capstone.TrainResult", lambda: capstone.TrainResult(0.5), TypeError, "train_accuracy", id="TrainResult"),
    R("capstone.train_steps", lambda: capstone.train_steps(capstone.Logistic(3, 3),
                                                           capstone.Split(x(3, 3).float(), LONG, x(3, 3).float(),
                                                                          LONG), steps=0, progress=False),
      ValueError, "steps", id="train_steps-0"),
    R("capstone.train_steps", lambda: capstone.train_steps(capstone.Logistic(3, 3),
                                                           capstone.Split(x(3, 3).float(), LONG, x(3, 3).float(),
                                                                          LONG), steps=2, batch_size=0,
                                                           progress=False),
      ValueError, "batch_size", id="train_steps-batch"),
    R("capstone.run_parallel", lambda: capstone.run_parallel({}, workers=0), ValueError, "workers",
      id="run_parallel-workers"),
    R("capstone.train_seeds", lambda: capstone.train_seeds({}, None, workers=0), ValueError, "workers|data|experi",
      id="train_seeds-workers"),
    R("debugging.update_ratios", lambda: debugging.update_ratios("net", lambda: None), TypeError, "model",
      id="update_ratios-model"),
    R("debugging.update_ratios", lambda: debugging.update_ratios(nn.Linear(3, 3), None), TypeError, "step",
      id="update_ratios-step"),
    R("debugging.lr_range_test", lambda: debugging.lr_range_test(nn.Linear(3, 3), F.cross_entropy, sgd(), loader(),
                                                                 start_lr=0.0), ValueError, "start_lr",
      id="lr_range_test-start"),
    R("debugging.lr_range_test", lambda: debugging.lr_range_test(nn.Linear(3, 3), F.cross_entropy, sgd(), []),
      ValueError, "train_loader", id="lr_range_test-empty"),
    R("debugging.layer_outputs", lambda: debugging.layer_outputs(nn.Linear(3, 3), F.cross_entropy, x(4, 3), LONG,
                                                                 modules=nn.ReLU), TypeError, "modules",
      id="layer_outputs-modules"),
    R("debugging.LRRangeTest", lambda: debugging.LRRangeTest().lr_at_min, ValueError, "recorded no step",
      id="LRRangeTest-empty"),
]

SHOWN = ("H3/lead: the fix changes source printed in a book notebook ({}); it needs that notebook "
         "re-executed (make execute) with the shared notebook lock")
# Rows that fail today, by owner: strict xfails (they fail once fixed, so the mark gets removed);
KNOWN_FAILING = {
}


def _with_marks(rows):
    marked = []
    for row in rows:
        marks = list(row.marks)
        if row.id in KNOWN_FAILING:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILING[row.id]))
        marked.append(pytest.param(*row.values, id=row.id, marks=marks))
    return marked


RAISES = _with_marks(RAISES)

# Inputs torch accepts: nnbasics must accept them too and give torch's answer.
MATCHES = [
    R("activations.softmax", lambda m: m.softmax(torch.empty(0, 3), dim=0), id="softmax-empty"),
    R("activations.relu", lambda m: m.relu(torch.tensor([-float("inf"), 0.0, float("inf")])), id="relu-inf"),
    R("losses.mse_loss", lambda m: m.mse_loss(x(4, 1), x(4, 1)), id="mse-same"),
    R("losses.cross_entropy", lambda m: m.cross_entropy(x(3, 4), x(3, 4).softmax(1)), id="ce-soft-targets"),
    R("regularization.dropout", lambda m: m.dropout(x(4), p=1.0), id="dropout-p1"),
    R("regularization.dropout", lambda m: m.dropout(x(4), p=0.3, training=False), id="dropout-eval"),
    R("conv.conv2d", lambda m: m.conv2d(x(3, 5, 5), x(2, 3, 3, 3)), id="conv2d-unbatched"),
    R("conv.conv1d", lambda m: m.conv1d(x(3, 5), x(2, 3, 3), padding=(1,)), id="conv1d-unbatched-padding-tuple"),
    R("conv.max_pool2d", lambda m: m.max_pool2d(x(1, 1, 5, 5), 2, 2, 0, 1, True), id="max_pool2d-positional"),
    R("conv.max_pool2d", lambda m: m.max_pool2d(x(2, 5, 5), 3, 2, 1, 2, False, True)[1], id="max_pool2d-indices"),
    R("conv.avg_pool2d", lambda m: m.avg_pool2d(x(2, 5, 5), 3, 2, 1, True, False, 2), id="avg_pool2d-all-options"),
    R("recurrent.clip_grad_norm_", lambda m: clip_on(m.clip_grad_norm_, -float("inf")), id="clip-norm-neg-inf"),
    R("recurrent.clip_grad_norm_", lambda m: clip_on(m.clip_grad_norm_, 0.0), id="clip-norm-0"),
    R("recurrent.clip_grad_norm_", lambda m: clip_on(m.clip_grad_norm_, "inf"), id="clip-norm-inf-str"),
    R("recurrent.clip_grad_norm_", lambda m: clip_on(m.clip_grad_norm_, -2.0), id="clip-norm-neg-2"),
    R("recurrent.clip_grad_norm_", lambda m: clip_on(m.clip_grad_norm_, float("inf")), id="clip-norm-inf"),
    R("init.xavier_uniform_", lambda m: m.xavier_uniform_(torch.empty(0, 3)), id="xavier-empty"),
    R("init.orthogonal_", lambda m: m.orthogonal_(torch.empty(0, 3)), id="orthogonal-empty"),
    # torch's CPU attention: a query that may attend to no key gets zeros (not the NaN of 0/0)
    R("attention.scaled_dot_product_attention", lambda m: m.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), torch.tensor([[True] * 4, [False] * 4])), id="sdpa-fully-masked-row"),
    R("attention.scaled_dot_product_attention", lambda m: m.scaled_dot_product_attention(
        x(2, 3), x(0, 3), x(0, 5)), id="sdpa-no-keys"),
    R("attention.scaled_dot_product_attention", lambda m: m.scaled_dot_product_attention(
        x(2, 3), x(4, 3), x(4, 3), x(2, 4, dtype=torch.float32)), id="sdpa-float32-mask-on-float64"),
    R("attention.scaled_dot_product_attention", lambda m: m.scaled_dot_product_attention(
        x(1, 6, 2, 3), x(1, 2, 4, 3), x(1, 3, 4, 5), enable_gqa=True), id="sdpa-gqa-key-value-heads-differ"),
]


def clip_on(clip, norm_type):
    ps = [nn.Parameter(x(3)), nn.Parameter(x(2))]
    for p in ps:
        p.grad = torch.arange(p.numel(), dtype=torch.float64) - 1.0
    total = clip(ps, 1.0, norm_type=norm_type)
    return torch.cat([total.reshape(1), *[p.grad for p in ps]])


TORCH_SIDE = {"activations": F, "losses": F, "regularization": F, "conv": F, "init": nn.init,
              "recurrent": nn.utils, "attention": F}


def test_every_public_callable_has_a_row():
    covered = {p.values[0] for p in RAISES} | {p.values[0] for p in MATCHES}
    missing = public_callables() - covered
    assert not missing, f"public callables with no bad-input row: {sorted(missing)}"
    assert len(public_callables()) > 130  # the discovery found the API


def _call(name):
    return name if "." in name else f"nnbasics.{name}"


@pytest.mark.parametrize(("name", "call", "error", "message"), RAISES)
def test_bad_input_raises_clearly(name, call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert type(info.value) not in (IndexError, ZeroDivisionError, KeyError, AttributeError)


@pytest.mark.parametrize(("name", "call"), MATCHES)
def test_input_torch_accepts_matches_torch(name, call):
    module = importlib.import_module(f"nnbasics.{name.rsplit('.', 1)[0]}")
    ours, theirs = call(module), call(TORCH_SIDE[name.split(".")[0]])
    torch.testing.assert_close(ours, theirs, equal_nan=True)
