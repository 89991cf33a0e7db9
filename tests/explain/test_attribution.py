"""Guided backprop and deconvnet apply their rule at every rectifier; shared models stay clean."""

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.explain import attribution as at
from cnnviz.explain import methods as registry
from cnnviz.explain import rules
from cnnviz.explain.method import UnitTarget
from cnnviz.images import load_sample
from cnnviz.networks.network import get
from tests.expectations import CAT_CLASSES


def _conv1x1(c_in, c_out, weights, bias=None):
    conv = nn.Conv2d(c_in, c_out, 1, bias=bias is not None)
    conv.weight.data = torch.tensor(weights, dtype=torch.float32).reshape(c_out, c_in, 1, 1)
    if bias is not None:
        conv.bias.data = torch.tensor(bias, dtype=torch.float32)
    return conv


class TwoPaths(nn.Module):
    """h = [x, −x] → ReLU → y = 2·r₁ − 3·r₂ (functional or module ReLU)."""

    def __init__(self, functional: bool):
        super().__init__()
        self.a, self.b = _conv1x1(1, 2, [1, -1]), _conv1x1(2, 1, [2, -3])
        self.functional, self.relu = functional, nn.ReLU()

    def forward(self, x):
        h = self.a(x)
        return self.b(F.relu(h) if self.functional else self.relu(h)).sum(dim=(2, 3))


class Reused(nn.Module):
    """One ReLU module used twice: y = 3·ReLU(−2·ReLU(x) + 1)."""

    def __init__(self):
        super().__init__()
        self.relu, self.lin, self.out = nn.ReLU(inplace=True), _conv1x1(1, 1, [-2], [1.0]), _conv1x1(1, 1, [3])
        self.pre = _conv1x1(1, 1, [1])  # identity, so the in-place ReLU never writes into the input

    def forward(self, x):
        return self.out(self.relu(self.lin(self.relu(self.pre(x))))).sum(dim=(2, 3))


class Six(nn.Module):
    """y = Σ ReLU6(2x)."""

    def __init__(self):
        super().__init__()
        self.a, self.act = _conv1x1(1, 1, [2]), nn.ReLU6()

    def forward(self, x):
        return self.act(self.a(x)).sum(dim=(2, 3))


X = torch.tensor([[[[-1.0, 0.25, 0.5, 2.0, 4.0]]]])


def grad_of(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    xi = x.clone().requires_grad_(True)
    model(xi)[0, 0].backward()
    return xi.grad[0, 0].numpy()


@pytest.mark.parametrize("functional", [False, True])
def test_guided_and_deconvnet_match_hand_computed_gradients(functional):
    model = TwoPaths(functional).eval()
    # plain: x > 0 → 2 (through r₁); x < 0 → (−1)·(−3) = 3 (through r₂)
    np.testing.assert_allclose(grad_of(model, X)[0], [3, 2, 2, 2, 2])
    # guided: r₂'s gradient −3 is negative → dropped; only x > 0 passes 2
    np.testing.assert_allclose(grad_of(rules.with_rule(model, "guided"), X)[0], [0, 2, 2, 2, 2])
    # deconvnet ignores the forward input: max(g, 0) = [2, 0] everywhere → 2
    np.testing.assert_allclose(grad_of(rules.with_rule(model, "deconvnet"), X)[0], [2, 2, 2, 2, 2])


def test_a_reused_relu_module_gets_the_rule_at_each_use():
    model = Reused().eval()
    gm = rules.with_rule(model, "guided")
    assert gm.rectifiers_replaced == 2
    # b = −2·ReLU(x) + 1 > 0 for x < 0.5; plain gradient there (x > 0) is 3·(−2) = −6
    np.testing.assert_allclose(grad_of(model, X)[0], [0, -6, 0, 0, 0])
    # guided: the gradient reaching the first ReLU is −6 < 0 → dropped everywhere
    np.testing.assert_allclose(grad_of(gm, X)[0], [0, 0, 0, 0, 0])
    np.testing.assert_allclose(grad_of(rules.with_rule(model, "deconvnet"), X)[0], [0, 0, 0, 0, 0])


def test_relu6_rule_passes_positive_gradients_only_inside_0_to_6():
    model = Six().eval()
    # 2x in (0, 6) for x = 0.25, 0.5, 2; saturated at x = 4; off at x = −1
    np.testing.assert_allclose(grad_of(rules.with_rule(model, "guided"), X)[0], [0, 2, 2, 2, 0])
    np.testing.assert_allclose(grad_of(rules.with_rule(model, "deconvnet"), X)[0], [2, 2, 2, 2, 2])


def test_guided_backprop_agrees_with_captum_where_captum_applies():
    from captum.attr import GuidedBackprop

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 5, 3), nn.ReLU(), nn.Flatten(),
                          nn.LazyLinear(3)).eval()
    x = torch.randn(1, 3, 8, 8)
    model(x)
    ref = GuidedBackprop(model).attribute(x.clone().requires_grad_(True), target=1)
    ours = rules.with_rule(model, "guided")
    xi = x.clone().requires_grad_(True)
    ours(xi)[0, 1].backward()
    np.testing.assert_allclose(xi.grad.numpy(), ref.detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["efficientnet_lite0"])
def test_every_rectifier_of_the_zoo_models_is_replaced(name):
    from cnnviz.networks.probe import LEAVES

    model = get(name).module()
    gm = rules.rule_model(get(name), "guided")
    expected = sum(isinstance(m, (nn.ReLU, nn.ReLU6)) for m in model.modules())
    assert gm.rectifiers_replaced == rules.count_rectifier_calls(model, tuple(LEAVES)) == expected
    x = get(name).preprocess(load_sample("Coffee"))
    with torch.no_grad():
        torch.testing.assert_close(gm(x), model(x))


def test_torchvision_functional_and_reused_relus_are_all_replaced():
    import torchvision

    from cnnviz.networks.probe import LEAVES

    g = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False).eval()
    assert rules.with_rule(g, "guided").rectifiers_replaced == 57  # every BasicConv2d's F.relu
    r = torchvision.models.resnet18(weights=None).eval()
    # the stem's ReLU plus two calls of each block's single ReLU module
    assert rules.count_rectifier_calls(r, tuple(LEAVES)) == 1 + 2 * 8 == rules.with_rule(r, "guided").rectifiers_replaced


@pytest.mark.parametrize("method", registry.names())
def test_every_method_gives_a_map_at_input_resolution(method):
    x = get("efficientnet_lite0").preprocess(load_sample("Chelsea the cat"))
    a = at.attribute(get("efficientnet_lite0"), x, method, steps=4, samples=2, window=56, stride=56)
    assert a.values.shape == (224, 224) and np.isfinite(a.values).all()
    assert get("efficientnet_lite0").labels[a.target] in CAT_CLASSES
    if method == "gradcam":
        assert a.values.min() >= 0 and a.values.max() == pytest.approx(1.0)


def test_integrated_gradients_complete_to_the_score_difference():
    from captum.attr import IntegratedGradients

    model = get("lenet5").module()
    x = get("lenet5").preprocess(np.full((28, 28, 3), 255, np.uint8) - np.eye(28, dtype=np.uint8)[..., None] * 255)
    base = torch.zeros_like(x)
    a, delta = IntegratedGradients(model).attribute(x, base, target=1, n_steps=200, return_convergence_delta=True)
    assert abs(float(delta)) < 1e-2


def test_guided_backprop_and_plain_gradients_in_threads_leave_the_shared_model_clean():
    name = "efficientnet_lite0"
    model = get(name).module()
    x = get(name).preprocess(load_sample("Coffee"))
    serial = {m: at.attribute(get(name), x, m).values for m in ("guided-backprop", "saliency", "gradcam")}
    out, errors = {}, []

    def work(m, k):
        try:
            out[(m, k)] = at.attribute(get(name), x, m).values
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(m, k)) for k in range(3) for m in serial]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (m, _), v in out.items():
        np.testing.assert_allclose(v, serial[m], rtol=1e-5, atol=1e-6)
    assert sum(len(m._forward_hooks) + len(m._backward_hooks) + len(m._forward_pre_hooks) for m in model.modules()) == 0
    assert not any(p.requires_grad for p in model.parameters())


def test_a_channel_or_unit_can_be_the_target_and_guided_rules_apply_below_it():
    x = get("efficientnet_lite0").preprocess(load_sample("Coffee"))
    unit = UnitTarget("_blocks.5.depthwise_act", 11, (10, 5))  # this channel's strongest unit on the photo
    sal = at.attribute(get("efficientnet_lite0"), x, "saliency", target=unit)
    gb = at.attribute(get("efficientnet_lite0"), x, "guided-backprop", target=unit)
    from cnnviz.networks import probe as ins

    info = ins.layer(get("efficientnet_lite0"), unit.layer)
    top, left, bottom, right = ins.rf_box(info, 10, 5, (224, 224))
    for a in (sal, gb):
        ys, xs = np.nonzero(a.values)
        assert ys.min() >= top and ys.max() <= bottom and xs.min() >= left and xs.max() <= right
    ref = ins.effective_rf(get("efficientnet_lite0"), x, unit.layer, 11, 10, 5)
    np.testing.assert_allclose(sal.values, ref, rtol=1e-4, atol=1e-7)  # plain gradient = the effective RF
    with pytest.raises(ValueError, match="Grad-CAM"):
        at.attribute(get("efficientnet_lite0"), x, "gradcam", target=unit)
    ch = at.attribute(get("efficientnet_lite0"), x, "integrated-gradients", target=UnitTarget(unit.layer, 11), steps=4)
    assert ch.values.shape == (224, 224)


def test_a_map_is_shown_by_its_chosen_sign_scaled_to_its_99_5th_percentile():
    v = np.linspace(-2.0, 2.0, 201).reshape(1, -1)
    pos = at.display_map(v, "saliency", "positive")
    neg = at.display_map(v, "saliency", "negative")
    mag = at.display_map(v, "saliency", "absolute")
    assert pos.min() == 0 and pos[0, -1] == 1 and pos[0, 0] == 0
    assert neg[0, 0] == 1 and neg[0, -1] == 0
    np.testing.assert_allclose(mag, np.clip(np.abs(v) / np.percentile(np.abs(v), 99.5), 0, 1))
    cam = np.array([[0.0, 0.5, 1.0]])
    np.testing.assert_allclose(at.display_map(cam, "gradcam", "negative"), np.clip(cam / np.percentile(cam, 99.5), 0, 1))
