"""nnbasics.fast.ensemble: every member equals the clear version, one network trained alone with
the taught modules (Linear, ReLU, Dropout, cross_entropy, l2_penalty, SGD)."""

import pytest
import torch
from torch import nn

from nnbasics import optim
from nnbasics import regularization as R
from nnbasics.activations import ReLU
from nnbasics.fast.ensemble import Ensemble, StackedLinearFunction, train
from nnbasics.gradcheck import gradcheck
from nnbasics.layers import Linear
from nnbasics.losses import cross_entropy

F64 = {"dtype": torch.float64}


def template(dropout=0.0, hidden=8, seed=0, linear=Linear):
    torch.manual_seed(seed)
    return nn.Sequential(linear(2, hidden, **F64), ReLU(), R.Dropout(dropout),
                         linear(hidden, hidden, **F64), ReLU(), R.Dropout(dropout), linear(hidden, 3, **F64))


def data(n=24, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, generator=g, **F64), torch.randint(0, 3, (n,), generator=g)


def train_alone(net, x, y, l2, epochs, lr=0.1, momentum=0.9, val=None):
    """The clear version: the regularization chapter's loop for one network."""
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    losses, vals = [], []
    for _ in range(epochs):
        net.train()
        optimizer.zero_grad()
        loss = cross_entropy(net(x), y)
        (loss + l2 / 2 * R.l2_penalty(net)).backward()
        optimizer.step()
        losses.append(loss.item())
        if val is not None:
            net.eval()
            with torch.no_grad():
                vals.append(cross_entropy(net(val[0]), val[1]).item())
    return torch.tensor(losses, **F64), torch.tensor(vals, **F64)


def test_stacked_linear_is_the_taught_linear_per_member():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 4, generator=g, **F64, requires_grad=True)
    w = torch.randn(3, 6, 4, generator=g, **F64, requires_grad=True)
    b = torch.randn(3, 6, generator=g, **F64, requires_grad=True)
    grad = torch.randn(3, 5, 6, generator=g, **F64)
    out = StackedLinearFunction.apply(x, w, b)
    out.backward(grad)
    for m in range(3):
        xm, wm, bm = (t.detach()[m].clone().requires_grad_() for t in (x, w, b))
        ref = torch.nn.functional.linear(xm, wm, bm)
        ref.backward(grad[m])
        torch.testing.assert_close(out[m], ref, rtol=1e-12, atol=1e-12)
        for got, want in ((x.grad[m], xm.grad), (w.grad[m], wm.grad), (b.grad[m], bm.grad)):
            torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_stacked_linear_passes_gradcheck():
    g = torch.Generator().manual_seed(2)
    shapes = ((2, 3, 4), (2, 5, 4), (2, 5))
    inputs = [torch.randn(*shape, generator=g, **F64, requires_grad=True) for shape in shapes]
    assert gradcheck(StackedLinearFunction.apply, inputs)
    assert torch.autograd.gradcheck(StackedLinearFunction.apply, inputs)


@pytest.mark.parametrize("linear", [Linear, nn.Linear])
def test_every_member_starts_as_the_template_and_computes_like_it(linear):
    net = template(linear=linear).eval()
    model = Ensemble(net, dropout=[0.0, 0.3, 0.6]).eval()
    x, _ = data()
    out = model(x)
    assert out.shape == (3, 24, 3)
    for m in range(3):
        torch.testing.assert_close(out[m], net(x), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model(x.expand(3, -1, -1)), out, rtol=0, atol=0)
    assert model.l2_penalty().shape == (3,)
    torch.testing.assert_close(model.l2_penalty(), R.l2_penalty(net).expand(3), rtol=1e-12, atol=0)


def test_without_dropout_each_member_is_the_network_trained_alone_with_its_own_l2():
    x, y = data()
    xv, yv = data(40, seed=3)
    l2s = [0.0, 0.01, 0.3]
    model = Ensemble(template(), dropout=[0.0] * 3)
    history = train(model, x, y, l2s, epochs=60, lr=0.1, momentum=0.9, val=(xv, yv), every=7)
    assert history["train"].shape == (60, 3)
    assert history["val_epoch"].tolist() == [*range(0, 60, 7), 59]
    for m, l2 in enumerate(l2s):
        net = template()
        losses, vals = train_alone(net, x, y, l2, epochs=60, val=(xv, yv))
        torch.testing.assert_close(history["train"][:, m], losses, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(history["val"][:, m], vals[history["val_epoch"]], rtol=1e-10, atol=1e-12)
        linears = [layer for layer in net if isinstance(layer, Linear)]
        for i, layer in enumerate(linears):
            torch.testing.assert_close(model.weight[i][m], layer.weight, rtol=1e-10, atol=1e-12)
            torch.testing.assert_close(model.bias[i][m], layer.bias, rtol=1e-10, atol=1e-12)
    # the penalty mattered: the members ended apart
    assert (model.weight[0][0] - model.weight[0][2]).abs().max() > 1e-2


def test_one_member_with_dropout_draws_the_taught_dropouts_masks():
    """With one member, the ensemble draws its masks from the same random stream as the taught
    Dropout, so the whole training, dropout included, is the clear version's."""
    x, y = data()
    model = Ensemble(template(), dropout=[0.4])
    torch.manual_seed(5)
    history = train(model, x, y, 0.02, epochs=40, lr=0.1, momentum=0.9)
    net = template(dropout=0.4)
    torch.manual_seed(5)
    losses, _ = train_alone(net, x, y, 0.02, epochs=40)
    torch.testing.assert_close(history["train"][:, 0], losses, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(model.weight[2][0], net[6].weight, rtol=1e-10, atol=1e-12)


def test_each_member_drops_at_its_own_rate_and_scales_the_kept_units():
    net = nn.Sequential(ReLU(), R.Dropout())
    model = Ensemble(net, dropout=[0.0, 0.25, 0.75]).train()
    torch.manual_seed(0)
    out = model(torch.ones(400, 100, **F64))
    dropped = (out == 0).double().mean(dim=(1, 2))
    assert dropped[0] == 0 and abs(dropped[1] - 0.25) < 0.01 and abs(dropped[2] - 0.75) < 0.01
    assert set(out[1].unique().tolist()) == {0.0, 1 / 0.75} and set(out[2].unique().tolist()) == {0.0, 4.0}
    assert torch.equal(model.eval()(torch.ones(3, 4, **F64)), torch.ones(3, 3, 4, **F64))  # eval: no dropout
    x = torch.ones(3, 5, 7, **F64, requires_grad=True)
    y = model.train()(x)
    y.sum().backward()  # ones in: the gradient is mask · scale, so a dropped unit passes none back
    torch.testing.assert_close(x.grad, y.detach(), rtol=0, atol=0)
    assert (x.grad[2] == 0).any() and (x.grad[0] == 1).all()


def test_bad_inputs_name_the_argument():
    net = template()
    with pytest.raises(TypeError, match=r"template must be a non-empty nn\.Sequential"):
        Ensemble(Linear(2, 3), dropout=[0.0])
    with pytest.raises(TypeError, match="template\\[1\\] must be Linear, ReLU or Dropout, got Tanh"):
        Ensemble(nn.Sequential(Linear(2, 3), nn.Tanh()), dropout=[0.0])
    with pytest.raises(TypeError, match="template\\[0\\] must be Linear, ReLU or Dropout, got Dropout2d"):
        Ensemble(nn.Sequential(R.Dropout2d()), dropout=[0.0])
    with pytest.raises(ValueError, match="must be an inverted Dropout, got scaling='at_inference'"):
        Ensemble(nn.Sequential(R.Dropout(scaling="at_inference")), dropout=[0.0])
    with pytest.raises(ValueError, match="without bias"):
        Ensemble(nn.Sequential(Linear(2, 3, bias=False)), dropout=[0.0])
    with pytest.raises(TypeError, match="dropout must be a non-empty sequence"):
        Ensemble(net, dropout=0.5)
    with pytest.raises(ValueError, match="dropout"):
        Ensemble(net, dropout=[0.0, 1.0])
    model = Ensemble(net, dropout=[0.0, 0.5])
    with pytest.raises(ValueError, match=r"input must be \(N, in\) or \(2, N, in\), got \(3, 4, 2\)"):
        model(torch.zeros(3, 4, 2, **F64))
    with pytest.raises(TypeError, match=r"input must be a torch\.Tensor"):
        model([[0.0, 1.0]])
    x, y = data()
    with pytest.raises(ValueError, match="l2 must have one value per member \\(2\\), got 3"):
        train(model, x, y, [0.1, 0.2, 0.3], epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="l2"):
        train(model, x, y, -0.1, epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        train(model, x, y, epochs=0, lr=0.1)
    with pytest.raises(ValueError, match="inputs must be \\(N, in\\) and targets \\(N,\\)"):
        train(model, x, y[:5], epochs=1, lr=0.1)
    with pytest.raises(TypeError, match="model must be an Ensemble, got Sequential"):
        train(net, x, y, epochs=1, lr=0.1)
