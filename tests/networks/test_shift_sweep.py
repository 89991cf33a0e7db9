"""A real network under a moving window: the windows are the stated definition pixel for pixel, the batched sweep
equals one forward pass per window, and MobileNetV2 is not shift-invariant (Zhang 2019), on our own photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz.errors import CnnvizError
from cnnviz.images import load_sample
from cnnviz.networks import shift_sweep as S
from cnnviz.networks.network import get


def test_the_windows_are_the_stated_definition_pixel_for_pixel():
    rgb = np.random.default_rng(0).integers(0, 256, (300, 410, 3), dtype=np.uint8)
    wins = S.shift_windows(rgb, 8, 224)
    side = 232
    img = Image.fromarray(rgb).resize((round(410 * side / 300), side), Image.Resampling.BILINEAR)
    left = (img.size[0] - side) // 2
    square = np.asarray(img.crop((left, 0, left + side, side)))
    assert wins.shape == (9, 224, 224, 3)
    for k in (0, 3, 8):
        np.testing.assert_array_equal(wins[k], square[k : k + 224, k : k + 224])
    np.testing.assert_array_equal(wins[1][:-1, :-1], wins[0][1:, 1:])  # one pixel further, the same picture


def test_the_batched_sweep_equals_one_forward_pass_per_window():
    net = get("mobilenet_v2")
    rgb = load_sample("Astronaut")
    sweep = S.shift_sweep(net, rgb, 13)
    model = net.module("cpu")
    for k in (0, 7, 13):
        x = S._to_input(net, S.shift_windows(rgb, 13, 224)[k : k + 1])
        with torch.no_grad():
            p = model(x).softmax(1)[0]
        assert sweep.points[k].index == int(p.argmax())
        assert sweep.points[k].probability == pytest.approx(float(p.max()), abs=1e-5)
        assert sweep.points[k].top1 == net.labels[int(p.argmax())]


def test_consistency_is_the_share_with_the_first_top1_and_flips_count_changes():
    pts = tuple(S.SweepPoint(float(k), c, i, 0.5) for k, (c, i) in enumerate([("a", 1), ("a", 1), ("b", 2), ("a", 1)]))
    sweep = S.Sweep("shift", pts)
    assert sweep.consistency == 0.75 and sweep.flips == 2
    assert sweep.as_dict()["shifts"][2] == {"shift": 2.0, "top1": "b", "index": 2, "probability": 0.5}


def test_mobilenet_v2_is_not_shift_invariant_on_a_sample_photo():
    """Zhang 2019 at ImageNet scale; here: a one-pixel step of the window flips MobileNetV2's top-1 class."""
    sweep = S.shift_sweep(get("mobilenet_v2"), load_sample("Astronaut"), 32)
    assert sweep.flips >= 1 and sweep.consistency < 1


def test_early_layers_move_with_their_input_and_later_ones_drift():
    net = get("mobilenet_v2")
    layers = net.layers()
    first, late = layers[0], next(info for info in reversed(layers) if len(info.shape) == 3 and info.shape[1] >= 7)
    agreement = dict((n, c) for n, c, _ in S.layer_agreement(net, load_sample("Astronaut"), 8, (first.node, late.node)))
    assert agreement[first.node] > 0.95
    assert -1 <= agreement[late.node] <= 1 and agreement[late.node] < agreement[first.node]


def test_digit_networks_and_shifts_out_of_range_are_refused_in_words():
    with pytest.raises(CnnvizError, match="digits, not photos"):
        S.shift_sweep(get("lenet5"), np.zeros((64, 64, 3), np.uint8), 4)
    with pytest.raises(CnnvizError, match="0–32 pixels"):
        S.shift_windows(np.zeros((64, 64, 3), np.uint8), 33)


def test_a_layers_pair_is_the_original_map_and_the_shifted_one_moved_back_and_its_cosine_is_torchs():
    net = get("mobilenet_v2")
    node = net.layers()[0].node
    shift = 6
    (pair,) = S.layer_pairs(net, load_sample("Astronaut"), shift, (node,))
    wins = S.shift_windows(load_sample("Astronaut"), shift)[[0, shift]]
    with torch.no_grad():
        maps = net.extractor((node,), "cpu")(S._to_input(net, wins))[node].double()
    d = round(shift / net.layer(node).jump)
    assert pair.cells == d
    np.testing.assert_allclose(pair.original, maps[0, :, d:, d:].numpy(), rtol=1e-6)
    np.testing.assert_allclose(pair.moved_back, maps[1, :, : maps.shape[-2] - d, : maps.shape[-1] - d].numpy(),
                               rtol=1e-6)
    cos = torch.nn.functional.cosine_similarity(maps[0, :, d:, d:].flatten(), maps[1, :, :-d, :-d].flatten(), dim=0)
    assert pair.cosine == pytest.approx(float(cos), abs=1e-9)
