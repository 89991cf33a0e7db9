"""Sanity checks (Adebayo et al. 2018): rank similarity defined everywhere, cascading randomisation on a private copy."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from cnnviz.explain.sanity import cascading, layer_groups, ranks, spearman
from cnnviz.images import load_sample
from cnnviz.networks.network import get


@pytest.mark.unit
def test_ranks_share_ties_like_the_textbook():
    assert ranks(np.array([10, 20, 20, 5])).tolist() == [1.0, 2.5, 2.5, 0.0]


@pytest.mark.unit
def test_spearman_is_one_for_the_same_order_and_zero_for_a_constant_map_never_nan():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(8, 8))
    assert spearman(a, a * 3 + np.sign(a) * 1) == pytest.approx(1.0)  # same order of |values|
    assert spearman(a, np.zeros((8, 8))) == 0.0 and spearman(np.ones(4), np.ones(4)) == 0.0
    b = rng.normal(size=(8, 8))
    assert -1 <= spearman(a, b) <= 1


@pytest.mark.unit
def test_layer_groups_run_from_the_input_to_the_classifier():
    import torchvision

    groups = layer_groups(torchvision.models.resnet18())
    assert groups == ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"]


@pytest.mark.slow
def test_guided_backprop_barely_changes_when_the_classifier_is_randomised_and_saliency_does():
    net = get("efficientnet_lite0")
    x = net.preprocess(load_sample("Chelsea the cat"))
    before = {k: v.clone() for k, v in net.model.state_dict().items()}
    steps = cascading(net, x, ("saliency", "guided-backprop", "gradcam"), steps=3)
    assert [s.randomised for s in steps] == ["none", "_fc", "_bn1", "_conv_head"]
    assert steps[0].similarity == {"saliency": 1.0, "guided-backprop": 1.0, "gradcam": 1.0}
    assert steps[1].similarity["guided-backprop"] > 0.95 > 0.7 > steps[1].similarity["saliency"]
    assert all(np.isfinite(v) for s in steps for v in s.similarity.values())
    after = net.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the shared model was never touched


@pytest.mark.slow
def test_the_sanity_command_prints_json_steps_and_refuses_unknown_methods():
    cmd = [sys.executable, "-m", "cnnviz", "sanity", "assets/photos/chelsea.png", "--steps", "1", "--json"]
    out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert out["steps"][0] == {"randomised": "none",
                               "similarity": {"saliency": 1.0, "guided-backprop": 1.0, "gradcam": 1.0}}
    assert len(out["steps"]) == 2
    bad = subprocess.run(cmd[:5] + ["--methods", "bogus"], capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown method 'bogus'" in bad.stderr and "Traceback" not in bad.stderr
