"""Detection arithmetic equals torchvision.ops on random cases: IoU, NMS, anchors, box coding, RoI pool and align."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.ops import box_iou, nms, roi_align, roi_pool

from cnnviz.detect import boxes as B
from cnnviz.detect import roi as R
from cnnviz.errors import CnnvizError
from cnnviz.present.number_format import fmt
from tests.profiles import examples


def _boxes(rng: np.random.Generator, n: int, lo: float = 0, hi: float = 50) -> np.ndarray:
    xy = rng.uniform(lo, hi, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(0, 30, (n, 2))], axis=1)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=examples(300), deadline=None)
def test_iou_and_nms_equal_torchvision(seed):
    rng = np.random.default_rng(seed)
    a, b = _boxes(rng, int(rng.integers(1, 9))), _boxes(rng, int(rng.integers(1, 9)))
    np.testing.assert_allclose(B.box_iou(a, b), box_iou(torch.tensor(a), torch.tensor(b)).numpy(), atol=1e-12)
    scores, t = rng.uniform(0, 1, len(a)), float(rng.uniform(0, 1))
    assert B.nms(a, scores, t).keep == nms(torch.tensor(a), torch.tensor(scores), t).tolist()


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=examples(300), deadline=None)
def test_roi_pool_and_roi_align_equal_torchvision(seed):
    rng = np.random.default_rng(seed)
    c, h, w = (int(v) for v in (rng.integers(1, 3), rng.integers(2, 12), rng.integers(2, 12)))
    x = rng.normal(size=(c, h, w))
    scale = float(rng.choice([1.0, 0.5, 0.25, 1 / 16]))
    boxes = _boxes(rng, 3, -5, 40)
    out = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    ratio, aligned = int(rng.choice([-1, 1, 2, 3])), bool(rng.integers(0, 2))
    rois = torch.tensor(np.concatenate([np.zeros((3, 1)), boxes], axis=1))
    np.testing.assert_allclose(R.roi_pool(x, boxes, out, scale),
                               roi_pool(torch.tensor(x)[None], rois, out, scale).numpy(), atol=1e-9)
    np.testing.assert_allclose(R.roi_align(x, boxes, out, scale, ratio, aligned),
                               roi_align(torch.tensor(x)[None], rois, out, scale, ratio, aligned).numpy(), atol=1e-9)


def test_anchors_of_a_vgg16_feature_map_are_faster_rcnns():
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.image_list import ImageList

    # a 600×800 image → VGG-16's conv5_3 map 37×50 at stride 16; 3 sizes × 3 ratios per position
    ours = B.anchors((37, 50), 16, (128, 256, 512), (0.5, 1.0, 2.0))
    ref = AnchorGenerator(((128, 256, 512),), ((0.5, 1.0, 2.0),))(
        ImageList(torch.zeros(1, 3, 600, 800), [(600, 800)]), [torch.zeros(1, 512, 37, 50)])[0].numpy()
    assert ours.shape == (37 * 50 * 9, 4) == (16_650, 4)
    np.testing.assert_array_equal(ours, ref)


def test_box_deltas_round_trip_like_torchvisions_box_coder():
    from torchvision.models.detection._utils import BoxCoder

    rng = np.random.default_rng(0)
    gt, anchors = _boxes(rng, 20) + [0, 0, 1, 1], _boxes(rng, 20) + [0, 0, 1, 1]
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
    d = B.encode(gt, anchors, (10.0, 10.0, 5.0, 5.0))
    np.testing.assert_allclose(d, coder.encode_single(torch.tensor(gt), torch.tensor(anchors)).numpy(), atol=1e-9)
    np.testing.assert_allclose(B.decode(d, anchors, (10.0, 10.0, 5.0, 5.0)), gt, atol=1e-9)


def test_iou_is_written_out_with_intersection_and_union():
    r = B.iou_of([0, 0, 4, 4], [2, 2, 6, 6])
    assert (r.intersection, r.union) == (4.0, 28.0) and r.value == pytest.approx(1 / 7)
    assert r.explain()[-1] == "IoU = 4 / 28 = 0.1429"
    assert B.iou_of([0, 0, 1, 1], [2, 2, 3, 3]).explain()[2] == "the boxes do not overlap: intersection = 0"


def test_nms_steps_say_which_box_suppresses_which():
    res = B.nms([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], [0.9, 0.8, 0.7], 0.5)
    assert res.keep == [0, 2] and res.steps[0].suppressed[0][0] == 1 and res.steps[0].suppressed[0][1] > 0.5


@pytest.mark.parametrize("call, message", [
    (lambda: B.box_iou([[5, 0, 1, 4]], [[0, 0, 1, 1]]), "x2 < x1"),
    (lambda: B.box_iou([[0, 0, float("nan"), 4]], [[0, 0, 1, 1]]), "not a finite number"),
    (lambda: B.box_iou([], [[0, 0, 1, 1]]), "empty"),
    (lambda: B.nms([[0, 0, 1, 1], [0, 0, 2, 2]], [0.5], 0.5), "2 boxes but 1 scores"),
    (lambda: B.nms([[0, 0, 1, 1]], [0.5], 1.5), "between 0 and 1"),
    (lambda: R.roi_align(np.ones((2, 2)), [[0, 0, 1, 1]], (2, 2), sampling_ratio=0), "sampling ratio"),
    (lambda: R.roi_pool(np.ones((2, 2)), [[0, 0, 1, 1]], (2, 2), spatial_scale=-1), "spatial scale"),
])
def test_bad_boxes_and_settings_get_one_clear_message(call, message):
    with pytest.raises(CnnvizError, match=message):
        call()


def test_nms_of_no_boxes_keeps_nothing_like_torchvisions():
    import torch
    from torchvision.ops import nms as tv_nms

    from cnnviz.detect.boxes import nms

    assert nms([], [], 0.5).keep == tv_nms(torch.zeros((0, 4)), torch.zeros(0), 0.5).tolist() == []


@given(st.integers(0, 10_000))
@settings(max_examples=examples(25), deadline=None)
def test_a_roi_bins_arithmetic_names_its_cells_and_ends_in_the_value_torchvision_computes(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(8, 8)), 1)
    box = [float(v) for v in sorted(rng.uniform(0, 15, 2))] + [0.0, 0.0]
    box = [box[0], box[0] / 2, box[1] + 1, box[1] / 2 + 4]
    pooled = R.roi_pool_one(x, box, (2, 2), 0.5)
    ref = roi_pool(torch.tensor(x[None, None]), [torch.tensor([box], dtype=torch.float64)], (2, 2), 0.5)[0, 0]
    for i, b in enumerate(pooled.bins):
        cells = R.pool_bin_cells(pooled, i)
        text = R.pool_bin_text(x, pooled, i, 0.5)
        assert (max(x[r, q] for r, q in cells) if cells else 0.0) == pytest.approx(float(ref[b.row, b.col]))
        assert text.endswith(f"= {fmt(b.value)}" if cells else "empty bin → 0")
        assert all(fmt(x[r, q]) in text.splitlines()[-1] for r, q in cells)
    aligned = R.roi_align_one(x, box, (2, 2), 0.5, 2, True)
    ref = roi_align(torch.tensor(x[None, None]), [torch.tensor([box], dtype=torch.float64)], (2, 2), 0.5, 2, True)[0, 0]
    for i, b in enumerate(aligned.bins):
        last = R.align_bin_text(x, aligned, i, 0.5, True).splitlines()[-1]
        assert last.startswith(f"bin ({b.row}, {b.col}) = mean of {len(b.samples)} samples")
        assert float(last.rsplit("= ", 1)[1].replace("−", "-")) == pytest.approx(float(ref[b.row, b.col]), abs=1e-3)


def test_typed_boxes_and_anchor_settings_are_read_or_refused_in_one_sentence():
    boxes, scores = B.parse_scored_boxes("0 0 10 10 0.9\n1, 1, 11, 11, 0.8\n\n")
    assert boxes.shape == (2, 4) and list(scores) == [0.9, 0.8]
    for text, says in (("", "at least one box"), ("0 0 1 1", "line 1 has 4 numbers"), ("0 0 1 1 x", "every value")):
        with pytest.raises(CnnvizError, match=says):
            B.parse_scored_boxes(text)
    assert B.parse_positive("128, 256 512", "Sizes") == (128.0, 256.0, 512.0)
    for bad in ("", "0, 1", "-2", "a", "nan"):
        with pytest.raises(CnnvizError, match="Sizes are positive numbers"):
            B.parse_positive(bad, "Sizes")


@given(st.integers(32, 900), st.integers(32, 900), st.sampled_from([8, 16, 32]))
@settings(max_examples=examples(20), deadline=None)
def test_the_anchor_grid_is_torchvisions_anchors_by_position(h, w, stride):
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.image_list import ImageList

    sizes, ratios = (128.0, 256.0), (0.5, 1.0, 2.0)
    grid = B.anchor_grid(h, w, stride, sizes, ratios)
    assert (grid.rows, grid.cols, grid.per_position) == (h // stride, w // stride, 6)
    assert grid.total == grid.boxes.reshape(-1, 4).shape[0]
    if grid.rows and grid.cols:
        gen = AnchorGenerator(((128, 256),), ((0.5, 1.0, 2.0),))
        images = ImageList(torch.zeros(1, 3, grid.rows * stride, grid.cols * stride), [(h, w)])
        theirs = gen(images, [torch.zeros(1, 1, grid.rows, grid.cols)])[0].numpy()
        np.testing.assert_allclose(grid.boxes.reshape(-1, 4), theirs)


@given(st.integers(0, 10_000))
@settings(max_examples=examples(25), deadline=None)
def test_the_box_coding_arithmetic_in_words_is_the_encoders(seed):
    rng = np.random.default_rng(seed)
    anchor = [*rng.uniform(0, 50, 2)]
    anchor += [anchor[0] + rng.uniform(1, 60), anchor[1] + rng.uniform(1, 60)]
    box = [*rng.uniform(0, 50, 2)]
    box += [box[0] + rng.uniform(1, 60), box[1] + rng.uniform(1, 60)]
    d, back, lines = B.coding_lines(anchor, box)
    np.testing.assert_allclose(d, B.encode([box], [anchor])[0])
    np.testing.assert_allclose(back, box, atol=1e-9)
    for name, value in zip(("dx", "dy", "dw", "dh"), d):
        line = next(x for x in lines if x.startswith(name))
        assert float(line.rsplit("= ", 1)[1].replace("−", "-")) == pytest.approx(value, abs=1e-3)
