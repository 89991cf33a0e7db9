"""Weight status: the offline default is ready; torchvision weights are found in TORCH_HOME's cache."""


import pytest
import torch

from cnnviz.networks import registry
from cnnviz.networks.specs import SPECS


def test_efficientnet_lite0_is_ready_offline():
    s = registry.weight_status("efficientnet_lite0")
    assert s.state == registry.READY


@pytest.mark.parametrize("name", ["alexnet", "resnet18"])
def test_torchvision_weights_are_missing_then_cached_in_torch_home(tmp_path, monkeypatch, name):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    s = registry.weight_status(name)
    assert s.state == registry.MISSING
    assert f"python -m cnnviz download {name}" in s.how_to_get
    path = registry.torchvision_cache_path(SPECS[name])
    assert str(path).startswith(str(tmp_path))
    path.parent.mkdir(parents=True)
    import torchvision

    model = getattr(torchvision.models, name)(weights=None)
    torch.save(model.state_dict(), path)
    s = registry.weight_status(name)
    assert s.state == registry.CACHED
    # the real weights API loads from that cache without any network
    weights = registry.torchvision_weights(SPECS[name])
    state = torch.hub.load_state_dict_from_url(weights.url, progress=False, weights_only=True, check_hash=False)
    model.load_state_dict(state, strict=True)
