"""Feature maps without hooks, receptive fields against gradients, and sharing between threads."""

import math
import threading

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.images import load_sample
from cnnviz.networks import probe as ins
from cnnviz.networks.network import get


def _hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules())


def test_feature_maps_equal_the_model_computed_step_by_step():
    model = get("lenet5").module()
    x = torch.randn(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    maps = ins.feature_maps(get("lenet5"), x, ("c1", "s2", "c3", "a5"))
    with torch.no_grad():
        c1 = model.c1(x)
        s2 = model.s2(model.a1(c1))
        c3 = model.c3(s2)
        a5 = model.a5(model.c5(model.s4(model.a3(c3))))
    for name, ref in (("c1", c1), ("s2", s2), ("c3", c3), ("a5", a5)):
        np.testing.assert_allclose(maps[name], ref[0].numpy(), atol=1e-6)


def test_every_layer_shape_matches_the_module_output():
    x = get("efficientnet_lite0").preprocess(load_sample("Coffee"))
    infos = ins.layers(get("efficientnet_lite0"))
    sample = infos[:: max(1, len(infos) // 12)]
    maps = ins.feature_maps(get("efficientnet_lite0"), x, tuple(i.node for i in sample))
    for info in sample:
        assert maps[info.node].shape == info.shape


class _Stack(nn.Module):
    def __init__(self, specs, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        layers = []
        for kind, k, s, p, d in specs:
            if kind == "conv":
                conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
                conv.weight.data = torch.rand(conv.weight.shape, generator=g) + 0.1  # positive: no cancellation
                layers.append(conv)
            else:
                layers.append(nn.AvgPool2d(k, s, p))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


@pytest.mark.parametrize("seed", range(25))
def test_theoretical_receptive_field_equals_the_gradient_support_on_random_stacks(seed):
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(rng.integers(1, 5)):
        k = int(rng.integers(1, 4))
        if rng.random() < 0.7:
            specs.append(("conv", k, int(rng.integers(1, 3)), int(rng.integers(0, k)), int(rng.integers(1, 3))))
        else:
            specs.append(("pool", k, int(rng.integers(1, 3)), int(rng.integers(0, k // 2 + 1)), 1))
    model = _Stack(specs, seed).eval()
    size = 48
    infos = ins.layers_of(*ins.analyse(model, (1, size, size)))
    last = infos[-1]
    _, oh, ow = last.shape
    assert oh >= 1
    i, j = oh // 2, ow // 2
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    model(x)[0, 0, i, j].backward()
    support = np.argwhere(x.grad[0, 0].numpy() != 0)
    top, left, bottom, right = ins.rf_box(last, i, j, (size, size))
    assert (support[:, 0].min(), support[:, 1].min()) == (top, left), specs
    assert (support[:, 0].max(), support[:, 1].max()) == (bottom, right), specs


def test_effective_receptive_field_lies_inside_the_theoretical_box():
    x = get("efficientnet_lite0").preprocess(load_sample("Chelsea the cat"))
    info = next(i for i in ins.layers(get("efficientnet_lite0")) if i.node == "_blocks.5.depthwise_act")
    erf = ins.effective_rf(get("efficientnet_lite0"), x, info.node, 3, 7, 9)
    top, left, bottom, right = ins.rf_box(info, 7, 9, (224, 224))
    ys, xs = np.nonzero(erf)
    assert ys.min() >= top and ys.max() <= bottom and xs.min() >= left and xs.max() <= right


def test_receptive_fields_pass_through_branches_and_shortcuts():
    import torchvision

    model = torchvision.models.resnet18(weights=None).eval()
    infos = {i.node: i for i in ins.layers_of(*ins.analyse(model, (3, 224, 224)))}
    # conv1 7×7/2 pad 3: rf 7, jump 2; maxpool 3×3/2: rf 11, jump 4; the block's add takes the conv path
    assert (infos["conv1"].rf, infos["conv1"].jump) == (7, 2)
    assert (infos["maxpool"].rf, infos["maxpool"].jump) == (11, 4)
    assert infos["layer1.0.add"].rf == 11 + 2 * 4 + 2 * 4
    assert infos["layer4.1.relu_1"].jump == 32


def test_many_threads_inspecting_at_once_match_serial_results_and_leave_no_hooks():
    model = get("efficientnet_lite0").module()
    nodes = [i.node for i in ins.layers(get("efficientnet_lite0"))][::9][:6]
    photos = [get("efficientnet_lite0").preprocess(load_sample(t)) for t in ("Chelsea the cat", "Coffee", "Rocket launch")]
    jobs = [(n, k % 3) for k, n in enumerate(nodes * 2)]
    serial = {(n, p): ins.feature_maps(get("efficientnet_lite0"), photos[p], (n,))[n] for n, p in jobs}
    serial_erf = ins.effective_rf(get("efficientnet_lite0"), photos[0], nodes[2], 0, 1, 1)
    results, errors = {}, []

    def work(n, p):
        try:
            results[(n, p)] = ins.feature_maps(get("efficientnet_lite0"), photos[p], (n,))[n]
            if n == nodes[2]:
                results["erf"] = ins.effective_rf(get("efficientnet_lite0"), photos[0], nodes[2], 0, 1, 1)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=job) for job in jobs * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for key, ref in serial.items():
        np.testing.assert_array_equal(results[key], ref)
    np.testing.assert_array_equal(results["erf"], serial_erf)
    assert _hooks(model) == 0
    assert not any(p.requires_grad for p in model.parameters())


def test_montage_tiles_every_channel():
    fmap = np.random.default_rng(0).normal(size=(10, 7, 5)).astype(np.float32)
    img = ins.montage(fmap, ins.channel_order(fmap, "max"), "layer")
    assert img.ndim == 3 and img.dtype == np.uint8
    assert ins.channel_order(fmap, "mean")[0] == int(np.argmax(fmap.mean(axis=(1, 2))))
    assert math.isinf(ins.layers(get("efficientnet_lite0"))[-1].rf) is False


def test_layers_have_readable_names_with_the_module_path_as_a_detail():
    lite = {i.node: i for i in ins.layers(get("efficientnet_lite0"))}
    assert lite["_blocks.8.expand_act"].title == "stage 5 · block 8 · expand 1×1 conv → ReLU6"
    assert lite["_blocks.8._depthwise_conv"].title == "stage 5 · block 8 · depthwise 5×5 conv"
    assert lite["_conv_stem"].label == "stem · 3×3 conv, stride 2 · 32×112×112  (_conv_stem)"
    lenet = {i.node: i for i in ins.layers(get("lenet5"))}
    assert lenet["a1"].title == "5×5 conv → Tanh" and lenet["s2"].title == "average pool 2×2"
    resnet = {i.node: i for i in ins.layers(get("resnet18"))}
    assert resnet["layer2.1.relu_1"].title == "layer2 · block 1 · add (residual) → ReLU"


def test_the_strongest_channels_are_ranked_by_mean_whatever_the_montage_order():
    """Issue 46, item 2: the channel box listed the first five of the montage's order (by index) as "the strongest"."""
    rng = np.random.default_rng(3)
    fmap = rng.normal(size=(24, 5, 5))
    fmap[17] += 3
    fmap[4] += 2
    strongest = ins.strongest_channels(fmap)
    assert strongest[:2] == [17, 4] and len(strongest) == 5
    means = fmap.mean(axis=(1, 2))
    assert all(means[a] >= means[b] for a, b in zip(strongest, strongest[1:]))
    assert strongest != list(ins.channel_order(fmap, "index")[:5])
