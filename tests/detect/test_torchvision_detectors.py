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


@pytest.mark.slow
def test_faster_rcnn_first_stage_proposals_are_the_rpns_own_boxes():
    torch.manual_seed(0)
    model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_fpn(weights=None, weights_backbone=None,
                                                                          num_classes=91).eval()
    photo = load_sample("Coffee")
    p = real.proposals(photo, model, top=20)
    assert p.boxes.shape == (20, 4) and (np.diff(p.objectness) <= 0).all()
    assert p.anchors == sum(a * r * c for a, r, c in p.levels)
    every = real.proposals(photo, model, top=p.anchors)  # all of them, in the photo's pixels
    x = torch.from_numpy(photo.astype(np.float32) / 255).permute(2, 0, 1)
    with torch.no_grad():
        images, _ = model.transform([x])
        kept, _ = model.rpn(images, model.backbone(images.tensors))
    (h, w), (oh, ow) = images.image_sizes[0], photo.shape[:2]
    theirs = kept[0][:10].numpy() * np.array([ow / w, oh / h, ow / w, oh / h])
    ours = np.clip(every.boxes, 0, [ow, oh, ow, oh])  # the RPN clips its boxes to the image before its NMS
    for box in theirs:  # each box the RPN keeps is one of the boxes scored here
        assert np.abs(ours - box).max(axis=1).min() < 1e-3


@pytest.mark.slow
def test_faster_rcnn_anchors_at_a_position_are_five_sizes_by_three_ratios_centred_there():
    photo = load_sample("Coffee")
    model = real.architecture("fasterrcnn_mobilenet_v3_large_fpn")
    levels = real.anchor_levels(photo, model)
    images, _ = model.transform([torch.from_numpy(photo / 255.0).float().permute(2, 0, 1)])
    feats = list(model.backbone(images.tensors).values())
    assert sum(lv.boxes.shape[0] for lv in levels) == model.rpn.anchor_generator(images, feats)[0].shape[0]
    h, w = photo.shape[:2]
    for lv in levels:
        row, col, boxes = lv.at(w / 2, h / 2)
        assert boxes.shape == (15, 4) and lv.per_position == 15
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        assert np.allclose(centres, centres[0], atol=1e-3)
        # torchvision's grid: position (row, col) sits at (col, row) × stride in the resized image (no half-cell offset)
        assert np.allclose(centres[0], [col * lv.stride[0], row * lv.stride[1]], atol=1.0)
        # in the resized image (shorter side 800) the areas are 32², …, 512² and the ratios h/w 0.5, 1, 2
        k = images.image_sizes[0][0] / h
        bw, bh = (boxes[:, 2] - boxes[:, 0]) * k, (boxes[:, 3] - boxes[:, 1]) * k
        assert np.allclose(np.sqrt(bw * bh).reshape(3, 5), [32, 64, 128, 256, 512], rtol=0.03)
        assert np.allclose((bh / bw).reshape(3, 5).mean(axis=1), [0.5, 1, 2], rtol=0.05)


@pytest.mark.slow
def test_ssdlite_anchors_share_one_centre_per_position_at_every_level():
    photo = load_sample("Coffee")
    levels = real.anchor_levels(photo, real.architecture("ssdlite320_mobilenet_v3_large"))
    assert len(levels) == 6 and all(lv.per_position == 6 for lv in levels)
    for lv in levels:
        _, _, boxes = lv.at(0, 0)
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        assert np.allclose(centres, centres[0], atol=1e-2) or lv.rows == 1  # clipped boxes move the centre


@pytest.mark.slow
def test_the_anchor_maps_are_named_on_the_photos_scale_with_the_resize_said_and_twins_explained():
    photo = load_sample("Coffee")  # 600×400
    ssd = real.architecture("ssdlite320_mobilenet_v3_large")
    levels = real.anchor_levels(photo, ssd)
    assert real.level_name(0, levels[0]) == "map 1: 20×20, every 30 px across, 20 px down"  # 600/20, 400/20
    said = real.resize_sentence(ssd, photo.shape[:2])
    assert "squashes your 600×400 photo to 320×320" in said and "width ×0.53, height ×0.80" in said
    assert real.same_size_note(levels) is None
    frcnn = real.architecture("fasterrcnn_mobilenet_v3_large_fpn")
    levels = real.anchor_levels(photo, frcnn)
    assert real.level_name(0, levels[0]) == "map 1: 25×38, every 16 px" == real.level_name(0, levels[1])
    assert "by ×2.00 (short side 800 px" in real.resize_sentence(frcnn, photo.shape[:2])
    assert "Maps 1 and 2 are the same size and lay the same anchors" in real.same_size_note(levels)


def test_a_photos_detections_run_once_per_detector_and_photo_and_are_shared(monkeypatch):
    """A threshold slider or a second student on the same photo never reruns the detector; another photo does."""
    runs: list[tuple] = []

    def fake_detect(name, rgb, threshold, model=None):
        runs.append((name, rgb.shape, threshold))
        return [real.Found((0.0, 0.0, 1.0, 1.0), "cup", 0.9)]

    monkeypatch.setattr(real, "detect", fake_detect)
    monkeypatch.setattr(real, "shared", lambda name: object())
    monkeypatch.setattr(real, "_runs", real.KeyedCache(4))
    name, photo = next(iter(real.DETECTORS)), load_sample("Coffee")
    assert real.found_ready(name, photo) is None
    first = real.found_on(name, photo)
    assert real.found_ready(name, photo.copy()) is first and real.found_on(name, photo.copy()) is first
    assert runs == [(name, photo.shape, real.FLOOR)]
    other = photo.copy()
    other[0, 0, 0] ^= 1
    real.found_on(name, other)
    assert len(runs) == 2


@pytest.mark.slow
def test_the_anchors_of_a_photo_size_are_laid_once():
    photo = load_sample("Coffee")
    name = "ssdlite320_mobilenet_v3_large"
    assert real.anchors_on(name, photo) is real.anchors_on(name, photo.copy())
