"""iou, nms, roi-pool, roi-align on the command line: the JSON the issue names, torchvision's numbers, one-line errors."""

import json

import numpy as np
import pytest
import torch
from torchvision.ops import roi_align, roi_pool

from tests.cli.test_cli import run


def test_iou_and_nms_print_the_named_json():
    assert json.loads(run("iou", "--boxes-a", "[[0,0,4,4],[1,1,2,2]]", "--boxes-b", "[[2,2,6,6]]", "--json").stdout) \
        == {"iou": [[4 / 28], [0.0]]}
    out = run("nms", "--boxes", "[[0,0,10,10],[1,1,11,11],[20,20,30,30]]", "--scores", "[0.7,0.9,0.8]",
              "--iou-threshold", "0.5", "--json").stdout
    assert json.loads(out) == {"keep": [1, 2]}


def test_roi_pool_and_align_print_k_c_h_w_like_torchvision():
    x = np.arange(2 * 6 * 6, dtype=float).reshape(2, 6, 6)
    boxes = [[1, 1, 9, 7], [0, 0, 5, 5]]
    rois = torch.tensor([[0.0, *b] for b in boxes], dtype=torch.float64)
    args = ["--input", json.dumps(x.tolist()), "--boxes", json.dumps(boxes), "--output-size", "2,2",
            "--spatial-scale", "0.5", "--json"]
    pooled = json.loads(run("roi-pool", *args).stdout)["output"]
    np.testing.assert_allclose(pooled, roi_pool(torch.tensor(x)[None], rois, (2, 2), 0.5).numpy())
    aligned = json.loads(run("roi-align", *args, "--sampling-ratio", "2", "--aligned").stdout)["output"]
    np.testing.assert_allclose(aligned, roi_align(torch.tensor(x)[None], rois, (2, 2), 0.5, 2, True).numpy())


@pytest.mark.parametrize("args", [
    ["iou", "--boxes-a", "[[5,0,1,1]]", "--boxes-b", "[[0,0,1,1]]"],
    ["iou", "--boxes-a", "[]", "--boxes-b", "[[0,0,1,1]]"],
    ["iou", "--boxes-a", "[[0,0,1", "--boxes-b", "[[0,0,1,1]]"],
    ["nms", "--boxes", "[[0,0,1,1],[0,0,2,2]]", "--scores", "[1]", "--iou-threshold", "0.5"],
    ["nms", "--boxes", "[[0,0,1,1]]", "--scores", "[1]", "--iou-threshold", "2"],
    ["roi-align", "--input", "[[1,2],[3,4]]", "--boxes", "[[0,0,1,1]]", "--output-size", "0,2"],
])
def test_bad_detection_input_prints_one_line_and_exits_2(args):
    p = run(*args, check=False)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_detect_digits_prints_boxes_labels_and_scores_in_image_pixels(tmp_path):
    from PIL import Image

    from cnnviz.detect import digits

    scene = digits.scenes(1, "heldout", 777)[0]
    Image.fromarray(255 - scene.image).save(tmp_path / "scene.png")  # as a photo: dark ink on white
    found = json.loads(run("detect", str(tmp_path / "scene.png"), "--model", "digits", "--json").stdout)
    assert found and set(found[0]) == {"box", "label", "score"}
    assert sorted(f["label"] for f in found) == sorted(str(v) for v in scene.labels)


def test_detect_with_a_torchvision_detector_not_downloaded_says_how_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from tests.cli.test_cli import ROOT

    p = subprocess.run([sys.executable, "-m", "cnnviz", "detect", "assets/photos/coffee.png", "--model",
                        "fasterrcnn_mobilenet_v3_large_fpn"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "TORCH_HOME": str(tmp_path)})
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "not downloaded yet" in p.stderr
