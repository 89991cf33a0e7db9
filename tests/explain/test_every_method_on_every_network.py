"""Every attribution method on every network whose weights are here offline, through the engine and the CLI:
a finite map of the input's size, with each network's default CAM layer; the layers a page or the CLI offers
are exactly the ones the feature extractor accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnviz.explain import attribution as at
from cnnviz.explain import methods as registry
from cnnviz.networks import network
from cnnviz.networks import probe as ins

ROOT = Path(__file__).resolve().parents[2]
OFFLINE = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "mobilenet_v2", "lenet5")
QUICK = {"steps": 4, "samples": 2, "window": 48, "stride": 48}  # settings that keep the matrix quick, not trivial


def _input(name: str) -> torch.Tensor:
    net = network.get(name)
    if not net.available:
        pytest.skip(f"{name}: weights not installed")
    return torch.rand(1, *net.input_size, generator=torch.Generator().manual_seed(0))


@pytest.mark.slow
@pytest.mark.parametrize("method", registry.names())
@pytest.mark.parametrize("name", OFFLINE)
def test_every_method_gives_a_finite_map_of_the_input_size_on_every_offline_network(name, method):
    x = _input(name)
    quick = {**QUICK, "window": min(QUICK["window"], x.shape[-1] // 2), "stride": min(QUICK["stride"], x.shape[-1] // 2)}
    a = at.attribute(network.get(name), x, method, target=1, **quick)
    assert a.values.shape == tuple(x.shape[-2:]) and np.isfinite(a.values).all()


def test_an_occlusion_window_larger_than_the_input_is_refused_in_words():
    from cnnviz.errors import CnnvizError

    x = _input("lenet5")
    with pytest.raises(CnnvizError, match=r"the occlusion window \(48 px\) must fit the 32×32 input: use 1 to 32 px"):
        at.attribute(network.get("lenet5"), x, "occlusion", target=1, window=48)


@pytest.mark.parametrize("name", OFFLINE)
def test_every_layer_a_page_offers_is_one_the_extractor_returns_with_its_listed_shape(name):
    x = _input(name)
    net = network.get(name)
    listed = ins.layers(net)
    outs = ins.extractor(net, tuple(i.node for i in listed))(x)
    assert [tuple(outs[i.node].shape[1:]) for i in listed] == [tuple(i.shape) for i in listed]
    assert net.default_cam_layer in outs


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mobilenet_v2", "efficientnet_lite0"])
def test_gradcam_from_the_cli_with_each_networks_default_layer(name, tmp_path):
    _input(name)
    out = subprocess.run([sys.executable, "-m", "cnnviz", "attribute", "assets/photos/chelsea.png", "--model", name,
                          "--method", "gradcam", "-o", str(tmp_path / "m.png"), "--npy", str(tmp_path / "m.npy")], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    m = np.load(tmp_path / "m.npy")
    assert np.isfinite(m).all() and m.max() > 0
    layer = network.get(name).default_cam_layer
    again = subprocess.run([sys.executable, "-m", "cnnviz", "attribute", "assets/photos/chelsea.png", "--model", name,
                            "--method", "gradcam", "--layer", layer, "-o", str(tmp_path / "l.png"), "--npy",
                            str(tmp_path / "l.npy")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert np.array_equal(np.load(tmp_path / "l.npy"), m)  # the default is that layer
