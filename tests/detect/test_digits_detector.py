"""The digits detector: scenes as specified, recorded metrics ≥ 0.90 that its weights reproduce, decoding with NMS."""

import numpy as np
import pytest
import torch

from cnnviz.detect import digits as D
from cnnviz.detect.boxes import box_iou


def test_scenes_follow_the_recipe():
    for s in D.scenes(40, "heldout", 3):
        side = s.image.shape[0]
        assert s.image.shape == (side, side) and 128 <= side <= 256 and 1 <= len(s.labels) <= 5
        w, h = s.boxes[:, 2] - s.boxes[:, 0], s.boxes[:, 3] - s.boxes[:, 1]
        assert (np.maximum(w, h) <= 56).all() and (np.maximum(w, h) >= 5).all()
        ious = box_iou(s.boxes, s.boxes)
        assert np.allclose(ious, np.eye(len(s.boxes)))  # never overlapping
        inside = np.zeros_like(s.image, dtype=bool)
        for x1, y1, x2, y2 in s.boxes.astype(int):
            inside[y1:y2, x1:x2] = True
            assert s.image[y1:y2, x1:x2].max() > 0
        assert s.image[~inside].max(initial=0) == 0  # the boxes are tight: no ink outside them


def test_a_scene_is_made_only_of_the_digits_it_is_given():
    sevens = np.zeros((3, 28, 28), dtype=np.uint8)
    sevens[:, 8:20, 10:18] = 255
    s = D.make_scene(sevens, np.array([7, 7, 7]), np.random.default_rng(0))
    assert set(s.labels.tolist()) == {7}


def test_the_recorded_metrics_pass_090_and_the_shipped_weights_reproduce_them():
    meta = D.recorded_metrics()
    assert meta is not None and meta["precision"] >= 0.90 and meta["recall"] >= 0.90 and meta["scenes"] >= 300
    again = D.evaluate(D.load(), D.scenes(meta["scenes"], "heldout", 12345)[:40])
    assert again["precision"] >= 0.85 and again["recall"] >= 0.85


def test_nms_keeps_one_box_per_digit_and_the_threshold_drops_weak_cells():
    cells = [D.CellPrediction(0, 0, 0.9, (0, 0, 20, 20), 3, 0.9), D.CellPrediction(0, 1, 0.8, (2, 1, 21, 20), 3, 0.9),
             D.CellPrediction(5, 5, 0.9, (40, 40, 60, 60), 3, 0.9), D.CellPrediction(9, 9, 0.3, (80, 80, 90, 90), 1, 0.9)]
    dets = D.decode(cells, threshold=0.5, iou_threshold=0.45)
    assert [(d.cell, d.label) for d in dets] == [((0, 0), 3), ((5, 5), 3)]


def test_a_scene_larger_than_the_canvas_is_shrunk_and_boxes_come_back_in_its_pixels():
    x, factor = D.to_input(np.zeros((512, 400), dtype=np.uint8))
    assert x.shape == (1, 1, 256, 256) and factor == pytest.approx(0.5)
    out = torch.zeros(15, D.GRID, D.GRID)
    cell = D.cell_predictions(out, factor)[0]
    assert cell.box == pytest.approx((-24.0, -24.0, 40.0, 40.0))  # centre 4 px, 32 px wide at 256 → ×2


def test_a_drawn_stroke_is_a_white_line_of_pen_width_on_black():
    img = D.draw_strokes([[(64, 20), (64, 100)]])
    assert img.shape == (D.DRAW_SIDE, D.DRAW_SIDE) and img.dtype == np.uint8
    assert img[60, 64] >= 240 and img[60, 64 + D.PEN] <= 2 and img[5, 64] == 0 and img[120, 64] == 0
    assert D.draw_strokes([]).max() == 0
    assert D.draw_strokes([[(float("nan"), 3.0)], [(10, 10)]]).max() >= 200  # NaN points skipped, a dot drawn


def test_drawn_digits_are_found_where_they_were_drawn():
    t = np.linspace(0, 2 * np.pi, 40)
    zero = list(zip(40 + 12 * np.cos(t), 90 + 20 * np.sin(t)))
    seven = [(60, 20), (90, 20), (70, 65)]
    _, dets = D.detect(D.load(), D.draw_strokes([zero, seven]), 0.5, 0.45)
    labels = {d.label: d.box for d in dets}
    assert {0, 7} <= set(labels)
    assert labels[0][0] < 40 < labels[0][2] and labels[0][1] < 90 < labels[0][3]
    assert labels[7][0] < 75 < labels[7][2] and labels[7][1] < 30 < labels[7][3]


def test_the_shipped_detector_runs_once_per_scene_and_a_threshold_only_decodes_its_cells(monkeypatch):
    calls = []
    real_cells = D._cells
    monkeypatch.setattr(D, "_cells", lambda model, gray: calls.append(1) or real_cells(model, gray))
    monkeypatch.setattr(D, "_scene_cells", D.KeyedCache(4))
    scene = D.scenes(1, "heldout", 50_001)[0].image
    cells, strict = D.detect_shared(scene, 0.9, 0.45)
    again, loose = D.detect_shared(scene.copy(), 0.1, 0.45)
    assert again is cells and len(calls) == 1
    assert [(d.label, d.box) for d in loose] == [(d.label, d.box) for d in D.detect(D.shared(), scene, 0.1, 0.45)[1]]
    assert len(loose) >= len(strict)


def test_the_detector_trains_in_the_shared_loop_the_same_seed_giving_the_same_weights():
    losses: list[tuple[int, float]] = []
    a = D.train(epochs=2, n_train=32, seed=5, callback=lambda e, loss: losses.append((e, loss)))
    b = D.train(epochs=2, n_train=32, seed=5)
    assert [e for e, _ in losses] == [1, 2] and all(np.isfinite(v) for _, v in losses)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    assert not a.training and not any(p.requires_grad for p in a.parameters())
