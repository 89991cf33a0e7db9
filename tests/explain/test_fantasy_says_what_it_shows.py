"""Fantasy images say what they show: the coarse-to-fine switch is where the objective dips (the page marks it and
explains it), every objective has its "what to look for", and another offline network's reading of the picture is
its own top classes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz.explain import fantasy as fa
from cnnviz.networks import probe
from cnnviz.networks.network import get


@pytest.mark.slow
def test_the_objective_dips_where_the_picture_grows_to_full_size_as_the_page_says():
    torch.set_num_threads(2)
    cfg = fa.FantasyConfig(model="mobilenet_v2", target="class", class_index=967, **fa.COARSE_TO_FINE)
    h = fa.fantasy(cfg).history
    c = cfg.coarse_steps
    assert min(h[c : c + 3]) < 0.8 * h[c - 1]  # the drop at the switch
    assert h[-1] > min(h[c : c + 3])  # … then it climbs again
    note = fa.schedule_note(c, cfg.coarse_size, cfg.size)
    assert f"after step {c}" in note and "1.75× larger" in note and "drops" in note


def test_every_objective_says_what_to_look_for_and_no_schedule_no_note():
    assert set(fa.LOOK_FOR) == {"class", "channel", "unit", "gallery"}
    assert fa.schedule_note(0, 0, 224) is None and fa.schedule_note(80, 224, 224) is None


@pytest.mark.slow
def test_the_second_opinion_is_the_other_networks_own_top_classes():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    title, preds = fa.second_opinion(img, "mobilenet_v2")
    other = get("efficientnet_lite0")
    want = probe.predict(other, other.preprocess(img), top=3)
    assert title == other.title and preds == [(p.label, p.probability) for p in want]
    assert fa.second_opinion(img, "efficientnet_lite0")[0] == get("mobilenet_v2").title
