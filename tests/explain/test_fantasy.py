"""Fantasy images: a short CPU run really excites the target, and the seed fixes the image."""

import numpy as np
import torch
from PIL import Image

from cnnviz.explain import fantasy as fa
from cnnviz.images import load_sample
from cnnviz.networks.network import get

CFG = fa.FantasyConfig(layer="_blocks.5.depthwise_act", channel=11, size=96, steps=64, lr=0.05, seed=0)


def _as_input(img: np.ndarray) -> torch.Tensor:
    return torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)[None] / 255


def test_the_optimised_image_excites_its_channel_ten_times_more_than_noise_and_more_than_a_photo():
    start = fa.activation(CFG, fa.start_noise(CFG))
    photo = fa.activation(CFG, _as_input(np.asarray(Image.fromarray(load_sample("Coffee")).resize((96, 96)))))
    result = fa.fantasy(CFG)
    end = fa.activation(CFG, _as_input(result.image))
    assert start > 0 and end >= 10 * start and end > photo
    assert result.history[-1] > result.history[0]


def test_the_same_seed_gives_the_same_image_and_another_seed_another():
    cfg = fa.FantasyConfig(layer="_blocks.2.depthwise_act", channel=3, size=64, steps=6, seed=5)
    a, b = fa.fantasy(cfg).image, fa.fantasy(cfg).image
    np.testing.assert_array_equal(a, b)
    other = fa.fantasy(fa.FantasyConfig(layer="_blocks.2.depthwise_act", channel=3, size=64, steps=6, seed=6)).image
    assert not np.array_equal(a, other)


def test_class_and_unit_objectives_and_regularisers_run_and_leave_the_model_frozen():
    steps = []
    r = fa.fantasy(fa.FantasyConfig(target="class", class_index=967, size=64, steps=8, tv=0.1, l2=0.1, blur=1.0),
                   on_step=lambda s, v, p: steps.append((s, p is not None)))
    assert r.image.shape == (64, 64, 3) and steps[-1] == (8, True)
    fa.fantasy(fa.FantasyConfig(target="unit", layer="_blocks.5.depthwise_act", channel=2, unit=(3, 4), size=64, steps=4))
    model = get("efficientnet_lite0").module()
    assert not any(p.requires_grad for p in model.parameters())
    assert all(p.grad is None for p in model.parameters())
