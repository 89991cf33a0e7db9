"""`python -m cnnviz`: JSON answers equal torch's; every error is one line on stderr with status 2."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cnnviz.grids.presets import LECTURE_7X7, LECTURE_7X7_KERNEL
from tests.expectations import CAT_CLASSES

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "cnnviz", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_help_lists_the_subcommands():
    out = run("--help").stdout
    for cmd in ("info", "conv", "conv1d", "pool"):
        assert cmd in out


def test_info_json_lists_efficientnet_as_available_offline():
    info = json.loads(run("info", "--json").stdout)
    models = {m["model"]: m for m in info["models"]}
    assert models["efficientnet_lite0"]["status"] == "ready offline"
    assert {"alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "lenet5"} <= set(models)
    assert info["device"]["type"] in ("cpu", "cuda") and info["versions"]["torch"]


def test_conv_json_answers_the_lecture_example_like_torch():
    for stride in (1, 2):
        out = json.loads(run("conv", "--input", json.dumps(LECTURE_7X7), "--kernel", json.dumps(LECTURE_7X7_KERNEL),
                             "--stride", str(stride), "--json").stdout)
        ref = F.conv2d(torch.tensor(LECTURE_7X7, dtype=torch.float64)[None, None],
                       torch.tensor(LECTURE_7X7_KERNEL, dtype=torch.float64)[None, None], stride=stride)[0, 0]
        assert out["output"] == ref.tolist() and out["shape"] == list(ref.shape)


def test_conv_multichannel_with_bias_per_filter_padding_and_activation():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(3, 6, 5)), rng.normal(size=(2, 3, 3, 3)), [0.5, -1.0]
    out = json.loads(run("conv", "--input", json.dumps(x.tolist()), "--kernel", json.dumps(w.tolist()), "--bias",
                         json.dumps(b), "--padding", "1,0,2,1", "--stride", "2,1", "--activation", "relu",
                         "--json").stdout)
    ref = F.relu(F.conv2d(F.pad(torch.tensor(x)[None], (2, 1, 1, 0)), torch.tensor(w), torch.tensor(b, dtype=torch.float64), stride=(2, 1)))[0]
    np.testing.assert_allclose(out["output"], ref.numpy(), atol=1e-9)


def test_conv_flip_and_reflect_padding():
    x = np.arange(16.0).reshape(4, 4)
    k = np.array([[1.0, 2], [3, 4]])
    out = json.loads(run("conv", "--input", json.dumps(x.tolist()), "--kernel", json.dumps(k.tolist()), "--flip",
                         "--padding", "1", "--pad-mode", "reflect", "--json").stdout)
    ref = F.conv2d(F.pad(torch.tensor(x)[None, None], (1, 1, 1, 1), mode="reflect"),
                   torch.flip(torch.tensor(k), (0, 1))[None, None])[0, 0]
    np.testing.assert_allclose(out["output"], ref.numpy())


def test_conv1d_and_pool_json():
    out = json.loads(run("conv1d", "--input", "[1,2,3,4,5]", "--kernel", "[1,0,-1]", "--padding", "same", "--json").stdout)
    ref = F.conv1d(torch.tensor([[[1.0, 2, 3, 4, 5]]]), torch.tensor([[[1.0, 0, -1]]]), padding="same")[0, 0]
    assert out["output"] == ref.tolist()
    out = json.loads(run("pool", "--input", "[[1,3,2,4],[5,6,1,8],[9,2,7,3],[4,5,6,1]]", "--json").stdout)
    assert out == {"output": [[6.0, 8.0], [9.0, 7.0]], "shape": [2, 2]}
    out = json.loads(run("pool", "--input", "[[1,3,2],[5,6,1],[9,2,7]]", "--window", "2", "--stride", "1", "--mode",
                         "avg", "--json").stdout)
    assert out["output"] == [[3.75, 3.0], [5.5, 4.0]]


@pytest.mark.parametrize("args", [
    ["conv", "--input", "[[1,2],[3,x]]", "--kernel", "[[1]]"],
    ["conv", "--input", "[[1]]", "--kernel", "[[1,2],[3,4]]"],
    ["conv", "--input", "[[1,2]]", "--kernel", "[[1]]", "--stride", "0"],
    ["conv", "--input", "[[1,2]]", "--kernel", "[[1]]", "--padding", "wide"],
    ["conv", "--input", "[]", "--kernel", "[[1]]"],
    ["conv", "--input", "[[1,2],[3]]", "--kernel", "[[1]]"],
    ["pool", "--input", "[[1,2],[3,4]]", "--window", "2", "--padding", "2"],
    ["pool", "--input", "[[1,2],[3,4]]", "--mode", "median"],
    ["conv", "--kernel", "[[1]]"],
    ["nonsense"],
])
def test_bad_input_prints_one_line_and_exits_2(args):
    p = run(*args, check=False)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "Traceback" not in p.stderr


def test_grad_json_matches_autograd():
    rng = np.random.default_rng(5)
    x, w, g = rng.normal(size=(5, 6)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    out = json.loads(run("grad", "--input", json.dumps(x.tolist()), "--kernel", json.dumps(w.tolist()),
                         "--grad-output", json.dumps(g.tolist()), "--stride", "2", "--padding", "1", "--bias", "0.5",
                         "--json").stdout)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    F.conv2d(xt[None, None], wt[None, None], bt, stride=2, padding=1)[0, 0].backward(torch.tensor(g))
    np.testing.assert_allclose(out["grad_input"], xt.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(out["grad_weight"], wt.grad.numpy(), atol=1e-9)
    assert out["grad_bias"] == pytest.approx(float(bt.grad[0]))


def test_pool_grad_and_conv_transpose_json():
    out = json.loads(run("pool-grad", "--input", "[[1,3,2,4],[5,6,1,8],[9,2,7,3],[4,5,6,1]]", "--grad-output",
                         "[[1,2],[3,4]]", "--json").stdout)
    assert out["grad_input"] == [[0, 0, 0, 0], [0, 1, 0, 2], [3, 0, 4, 0], [0, 0, 0, 0]]
    out = json.loads(run("conv-transpose", "--input", "[[1,2],[3,4]]", "--kernel", "[[1,0,1],[0,1,0],[1,0,1]]",
                         "--stride", "2", "--padding", "1", "--output-padding", "1", "--json").stdout)
    ref = F.conv_transpose2d(torch.tensor([[[[1.0, 2], [3, 4]]]]), torch.tensor([[[[1.0, 0, 1], [0, 1, 0], [1, 0, 1]]]]),
                             stride=2, padding=1, output_padding=1)[0, 0]
    assert out["output"] == ref.tolist() and out["shape"] == [4, 4]


@pytest.mark.parametrize("args", [
    ["grad", "--input", "[[1,2],[3,4]]", "--kernel", "[[1]]", "--grad-output", "[[1]]"],
    ["pool-grad", "--input", "[[1,2],[3,4]]", "--grad-output", "[[1,2]]"],
    ["conv-transpose", "--input", "[[1]]", "--kernel", "[[1]]", "--output-padding", "1"],
])
def test_bad_gradient_input_prints_one_line_and_exits_2(args):
    p = run(*args, check=False)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_predict_layers_rf_and_featuremaps(tmp_path):
    preds = json.loads(run("predict", "assets/photos/chelsea.png", "--top", "3", "--json").stdout)
    assert preds[0]["label"] in CAT_CLASSES and len(preds) == 3
    assert set(preds[0]) == {"label", "index", "probability"}
    layers = json.loads(run("layers", "lenet5", "--json").stdout)
    assert layers[0] == {"name": "c1", "type": "Conv", "group": "layers", "title": "5×5 conv",
                         "output_shape": [6, 28, 28]}
    rf = json.loads(run("rf", "lenet5", "--json").stdout)
    assert {"name": "c3", "rf": 14.0, "jump": 2.0, "start": 6.5} in rf
    out = tmp_path / "maps.png"
    run("featuremaps", "assets/photos/coffee.png", "--model", "efficientnet_lite0", "--layer", "stem_act", "-o", str(out))
    assert Image.open(out).size[0] > 100


@pytest.mark.parametrize("args", [
    ["predict", "missing.png"],
    ["predict", "README.md"],
    ["predict", "assets/photos/coffee.png", "--model", "vgg16"],
    ["featuremaps", "assets/photos/coffee.png", "--layer", "nope", "-o", "/tmp/x.png"],
    ["layers", "nonet"],
])
def test_network_commands_fail_with_one_line(args, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "cnnviz", *args], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**__import__("os").environ, "TORCH_HOME": str(tmp_path)})
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_attribute_writes_png_and_npy(tmp_path):
    png, npy = tmp_path / "gb.png", tmp_path / "gb.npy"
    out = run("attribute", "assets/photos/chelsea.png", "--method", "guided-backprop", "-o", str(png), "--npy", str(npy))
    assert any(c in out.stdout for c in CAT_CLASSES) and png.is_file() and np.load(npy).shape == (224, 224)
    p = run("attribute", "assets/photos/chelsea.png", "--method", "gradcam", "--target", "5000", "-o", str(png),
            check=False)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def test_fantasy_cli_writes_an_image(tmp_path):
    out = tmp_path / "f.png"
    p = run("fantasy", "--layer", "_blocks.5.depthwise_act", "--channel", "11", "--steps", "8", "--size", "64",
            "--seed", "3", "-o", str(out))
    assert out.is_file() and "8 steps" in p.stdout
    two = tmp_path / "two.png"
    run("fantasy", "--class", "130", "--steps", "4", "--size", "64", "--images", "2", "--param", "fourier", "-o",
        str(two))
    assert Image.open(two).size == (128, 64)  # two diverse images side by side
    bad = run("fantasy", "--class", "5000", "-o", str(out), check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_a_class_image_starts_small_unless_told_otherwise(tmp_path):
    out = tmp_path / "f.png"
    p = run("fantasy", "--class", "130", "--coarse-steps", "2", "--steps", "2", "-o", str(out))
    assert "2 steps at 128 px, then 2 steps at 224 px" in p.stdout and Image.open(out).size == (224, 224)
    p = run("fantasy", "--class", "130", "--coarse-steps", "0", "--steps", "2", "--size", "96", "-o", str(out))
    assert "saved" in p.stdout and "then" not in p.stdout and Image.open(out).size == (96, 96)
    bad = run("fantasy", "--class", "130", "--coarse-size", "300", "--steps", "2", "-o", str(out), check=False)
    assert bad.returncode == 2 and "--coarse-size must be from 32 to 223 px" in bad.stderr


def test_train_lenet_prints_one_json_line_per_epoch(tmp_path):
    out = tmp_path / "w.pt"
    p = run("train-lenet", "--epochs", "2", "--json", "--out", str(out))
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2] and rows[-1]["heldout_acc"] > 0.9
    assert out.is_file() and out.with_suffix(".json").is_file()
    settings = json.loads(out.with_suffix(".json").read_text())
    from cnnviz.learn.training import TrainConfig

    assert {k: settings[k] for k in ("lr", "batch_size", "activation", "pooling", "schedule")} == \
        {"lr": TrainConfig().lr, "batch_size": 32, "activation": "relu", "pooling": "max", "schedule": "cosine"}


def test_grad_gives_one_bias_gradient_per_filter_even_from_one_bias_number():
    out = json.loads(run("grad", "--input", "[[1,2,3],[4,5,6],[7,8,9]]", "--kernel",
                         "[[[[1,0],[0,-1]]],[[[2,0],[0,1]]]]", "--grad-output", "[[[1,1],[1,1]],[[1,2],[3,4]]]",
                         "--bias", "0.5", "--json").stdout)
    assert out["grad_bias"] == [4.0, 10.0]  # Σ ∂L/∂Y per filter
    one = json.loads(run("grad", "--input", "[[1,2],[3,4]]", "--kernel", "[[1]]", "--grad-output", "[[1,2],[3,4]]",
                         "--bias", "1", "--json").stdout)
    assert one["grad_bias"] == 10.0


@pytest.mark.parametrize("command", ["rf", "layers"])
@pytest.mark.parametrize("model", ["vgg16", "alexnet"])
def test_rf_and_layers_need_only_the_architecture(command, model, tmp_path):
    p = subprocess.run([sys.executable, "-m", "cnnviz", command, model, "--json"], capture_output=True, text=True,
                       cwd=ROOT, timeout=120, env={**__import__("os").environ, "TORCH_HOME": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert rows[0]["name"] == "features.0"
    if command == "rf" and model == "vgg16":
        assert {"name": "features.30", "rf": 212.0, "jump": 32.0, "start": 15.5} in rows  # pool5: 212 px, jump 32


def test_cli_deep_trains_the_asked_network_and_answers_in_json():
    out = run("deep", "--depth", "3", "--width", "8", "--epochs", "1", "--batch-size", "256", "--lesion", "--json")
    data = json.loads(out.stdout)
    assert len(data["grad_norms_at_init"]) == 3 and len(data["activation_stats_at_init"]) == 3
    assert set(data["activation_stats_at_init"][0]) == {"mean", "std", "saturated", "dead"}
    assert data["history"][0]["step"] == 1 and len(data["history"][0]["grad_norms"]) == 3
    assert 0 <= data["heldout_accuracy"] <= 1 and data["nan_at_step"] is None and len(data["lesion"]) == 3


def test_cli_deep_refuses_settings_out_of_range_in_words():
    out = run("deep", "--depth", "0", check=False)
    assert out.returncode == 2 and "depth must be 1–100" in out.stderr


def test_cli_shift_compares_the_shifted_output_cell_by_cell():
    grid = "[[1,2,3,0],[4,5,6,0],[7,8,9,0],[0,0,0,0]]"
    data = json.loads(run("shift", "--op", "conv", "--input", grid, "--kernel", "[[1,0],[0,-1]]", "--shift", "1,0",
                          "--json").stdout)
    assert data["output_shift"] == [1, 0] and data["compared_cells"] == 9 and data["agree_cells"] == 7
    assert data["agree"][0] == [False, False, True]  # the top row: shifted-in zeros and the border
    pooled = json.loads(run("shift", "--op", "maxpool", "--input", grid, "--shift", "1,0", "--json").stdout)
    assert pooled["output_shift"] is None and pooled["shifted_f"] is None and pooled["unchanged_cells"] == 2


def test_cli_shift_refuses_bad_shifts_in_words():
    out = run("shift", "--op", "maxpool", "--input", "[[1,2],[3,4]]", "--shift", "5,0", check=False)
    assert out.returncode == 2 and "−3…3" in out.stderr


def test_cli_shift_photo_answers_the_sweep_in_json_and_refuses_big_shifts():
    data = json.loads(run("shift-photo", "assets/photos/astronaut.png", "--max-shift", "4", "--json").stdout)
    assert [p["shift"] for p in data["shifts"]] == [0, 1, 2, 3, 4] and 0 < data["consistency"] <= 1
    assert set(data["shifts"][0]) == {"shift", "top1", "index", "probability"}
    out = run("shift-photo", "assets/photos/astronaut.png", "--max-shift", "40", check=False)
    assert out.returncode == 2 and "0–32 pixels" in out.stderr


def test_overlap_json_counts_each_output_cells_writers_and_refuses_bad_sizes_in_words():
    out = json.loads(run("overlap", "--kernel", "3", "--stride", "2", "--size", "5", "--json").stdout)
    ref = F.conv_transpose2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert out["counts"] == ref.int().tolist() and out["shape"] == [11, 11] and "uneven" in out["sentence"]
    even = json.loads(run("overlap", "--kernel", "4", "--stride", "2", "--json").stdout)
    assert "even" in even["sentence"] and "uneven" not in even["sentence"]
    for bad in (("--kernel", "9"), ("--size", "0"), ("--stride", "x")):
        p = run("overlap", *bad, check=False)
        assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.strip()
