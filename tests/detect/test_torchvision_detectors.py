"""torchvision's detectors load from the weights cache (a state dict written into a temporary TORCH_HOME)."""

import numpy as np
import pytest
import torch
import torchvision

from cnnviz.detect import real
from cnnviz.errors import ModelUnavailable
from cnnviz.images import load_sample


@pytest.mark.parametrize("name", list(real.DETECTORS))
def test_a_missing_detector_says_how_to_get_it(name, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ModelUnavailable, match="not downloaded yet.*get_state_dict"):
        real.load(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(real.DETECTORS))
def test_a_cached_detector_loads_strictly_and_finds_boxes_inside_the_photo(name, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    torch.manual_seed(0)
    ref = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None, num_classes=91)
    path = real.cache_path(name)
    path.parent.mkdir(parents=True)
    torch.save(ref.state_dict(), path)
    model = real.load(name)
    photo = load_sample("Coffee")
    found = real.detect(name, photo, threshold=0.0, model=model)
    h, w = photo.shape[:2]
    for f in found:
        assert -1 <= f.box[0] <= f.box[2] <= w + 1 and -1 <= f.box[1] <= f.box[3] <= h + 1 and 0 <= f.score <= 1
        assert isinstance(f.label, str)
    assert all(np.diff([f.score for f in found]) <= 0)
