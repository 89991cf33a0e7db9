"""Your own CNN as a torch.export file: opened safely entry by entry (a crafted pickle never runs), every bad file
refused in words, and — built from real networks at test time — predictions, feature maps and Grad-CAM equal to
the original model's, with layer names that read like the original modules'."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.errors import CnnvizError
from cnnviz.explain.attribution import attribute
from cnnviz.images import load_sample
from cnnviz.networks import exported
from cnnviz.networks import probe as ins
from cnnviz.networks.network import get

ROOT = Path(__file__).resolve().parents[2]
BATCH = ({0: torch.export.Dim("batch")},)  # a free batch size, whatever forward calls its input


class Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.conv2(F.relu(self.conv1(x))))


class StudentNet(nn.Module):
    """A course's own CNN: a stem, a residual block with a name of its own, max pooling, a head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.my_block = Residual(8)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(8 * 16 * 16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.pool(self.my_block(self.stem(x))), 1))


def _save(model: nn.Module, shape: tuple[int, ...], dynamic: dict | None = BATCH) -> bytes:
    ep = torch.export.export(model.eval(), (torch.randn(*shape),), dynamic_shapes=dynamic)
    buf = io.BytesIO()
    torch.export.save(ep, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def student() -> tuple[nn.Module, bytes]:
    torch.manual_seed(0)
    model = StudentNet().eval()
    with torch.no_grad():  # running statistics that are not the identity
        model.stem[1].running_mean.uniform_(-0.5, 0.5)
        model.stem[1].running_var.uniform_(0.5, 2.0)
    return model, _save(model, (2, 3, 32, 32))


@pytest.fixture(scope="module")
def mobilenet() -> tuple[nn.Module, bytes]:
    net = get("mobilenet_v2")
    if not net.available:
        pytest.skip("MobileNetV2's offline weights are not installed")
    return net.module("cpu"), _save(net.module("cpu"), (2, 3, 224, 224))


def _rezip(data: bytes, change) -> bytes:
    """The archive with `change(name, bytes) -> bytes | None` applied to each entry (None: left out)."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for name in src.namelist():
            raw = change(name, src.read(name))
            if raw is not None:
                w.writestr(name, raw)
    return out.getvalue()


def test_mobilenet_v2_opens_with_the_originals_predictions_maps_and_gradcam(mobilenet):
    original, data = mobilenet
    net = exported.load(data, file_name="mnv2.pt2")
    ref = get("mobilenet_v2")
    x = net.preprocess(load_sample("Chelsea the cat"))
    assert [p.index for p in ins.predict(net, x, top=5)] == [p.index for p in ins.predict(ref, x, top=5)]
    with torch.no_grad():
        np.testing.assert_allclose(net.module()(x), original(x), atol=1e-5)
    assert [i.node for i in net.layers()][:3] == ["features.0.0", "features.0.2", "features.1.conv.0.0"]
    node = "features.7.conv.2"
    np.testing.assert_allclose(ins.feature_maps(net, x, (node,))[node], ins.feature_maps(ref, x, (node,))[node],
                               atol=1e-5)
    assert net.default_cam_layer == ref.default_cam_layer
    np.testing.assert_allclose(attribute(net, x, "gradcam", target=282).values,
                               attribute(ref, x, "gradcam", target=282).values, atol=1e-5)


def test_a_students_own_cnn_opens_with_readable_names_and_every_method_works(student):
    model, data = student
    net = exported.load(data, b"a\nb\nc\nd\ne\n", "classes.txt", "student.pt2")
    assert net.labels == ("a", "b", "c", "d", "e") and net.input_size == (3, 32, 32)
    names = [i.node for i in net.layers()]
    assert {"stem.0", "stem.2", "my_block.conv1", "my_block.relu", "my_block.conv2", "pool"} <= set(names), names
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        np.testing.assert_allclose(net.module()(x), model(x), atol=1e-5)
    from cnnviz.explain import methods

    one = x[:1]
    for m in methods.names():
        a = attribute(net, one, m, target=2, steps=4, samples=2, window=8, stride=8)
        assert a.values.shape == (32, 32) and np.isfinite(a.values).all(), m
    assert torch.is_grad_enabled()


class _Payload:
    """Unpickling this writes a file: what a crafted archive would do instead."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def test_a_pickle_with_a_payload_is_refused_and_never_runs(student, tmp_path):
    marker = tmp_path / "payload-ran"
    crafted = _rezip(student[1], lambda n, raw: pickle.dumps(_Payload(marker)) if "sample_inputs" in n else raw)
    with pytest.raises(CnnvizError, match="is a pickle holding more than plain tensors — refused, because opening "
                                          "it could run code"):
        exported.load(crafted)
    assert not marker.exists()


def _config(kind: str, edit):
    def change(name: str, raw: bytes) -> bytes:
        if name.endswith(f"_{kind}_config.json"):
            cfg = json.loads(raw)
            edit(cfg["config"])
            return json.dumps(cfg).encode()
        return raw
    return change


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: b"", "it is empty"),
    (lambda d: b"not a zip at all", "not a .pt2 archive, or it is truncated"),
    (lambda d: d[: len(d) // 2], "not a .pt2 archive, or it is truncated"),
    (lambda d: _rezip(d, lambda n, raw: None if n.endswith("archive_format") else raw), "not one torch.export.save"),
    (lambda d: _rezip(d, lambda n, raw: raw) + b"", None),  # rezipped unchanged: still opens
    (lambda d: _rezip(d, _config("weights", lambda c: next(iter(c.values())).update(use_pickle=True))),
     "is stored as a pickle"),
    (lambda d: _rezip(d, _config("constants", lambda c: c.update(obj={"path_name": "custom_obj_0"}))),
     "is a custom object, not a tensor"),
    (lambda d: _rezip(d, lambda n, raw: raw) if False else _with_extra(d), "an entry this app does not open"),
    (lambda d: _rezip(d, lambda n, raw: raw.replace(b"aten.conv2d.default", b"aten.conv9d.default")
                      if n.endswith("models/model.json") else raw), "calls an operator this torch"),
])
def test_every_bad_file_gets_one_message(student, make, message):
    data = make(student[1])
    if message is None:
        assert exported.load(data).input_size == (3, 32, 32)
        return
    with pytest.raises(CnnvizError, match=message):
        exported.load(data)


def _with_extra(data: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as w:
        root = zipfile.ZipFile(io.BytesIO(data)).namelist()[0].split("/")[0]
        w.writestr(f"{root}/extra/notes.pkl", pickle.dumps({"a": 1}))
    return out.getvalue()


def test_a_file_over_the_limit_is_refused_before_it_is_read(student, monkeypatch):
    monkeypatch.setattr(exported, "MAX_BYTES", 1000)
    with pytest.raises(CnnvizError, match="the limit here is 0 MB"):
        exported.load(student[1])


def test_a_small_file_that_unpacks_to_far_more_is_refused_before_it_is_unpacked(student, monkeypatch):
    bomb = io.BytesIO(student[1])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as w:
        w.writestr(zipfile.ZipFile(io.BytesIO(student[1])).namelist()[0].split("/")[0] + "/pad", b"\0" * 3_000_000)
    monkeypatch.setattr(exported, "MAX_BYTES", 2**19)
    assert len(bomb.getvalue()) < exported.MAX_BYTES
    with pytest.raises(CnnvizError, match="it unpacks to 3 MB; the limit here is 1 MB"):
        exported.load(bomb.getvalue())


class _Maps(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class _OneAtATime(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 4, 3), nn.Linear(4 * 30 * 30, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x).view(1, -1))


def test_a_graph_that_is_not_an_image_classifier_is_refused_in_words(student):
    with pytest.raises(CnnvizError, match=r"its output is \(2, 4, 30, 30\), not class scores"):
        exported.load(_save(_Maps(), (2, 3, 32, 32)))
    with pytest.raises(CnnvizError, match="runs one picture at a time only"):
        exported.load(_save(_OneAtATime(), (1, 3, 32, 32), None))
    with pytest.raises(CnnvizError, match="one picture tensor N×3×H×W"):
        exported.load(_save(nn.Linear(4, 3), (2, 4)))
    with pytest.raises(CnnvizError, match="give 3 mean and 3 std values"):
        exported.load(student[1], mean=(0.5,))
    with pytest.raises(CnnvizError, match="the labels file names 2 classes but the network gives 5 scores"):
        exported.load(student[1], b"a\nb\n", "l.txt")


@pytest.mark.slow
def test_the_cli_predicts_with_a_model_file_as_with_the_built_in_network(mobilenet, tmp_path):
    path = tmp_path / "mnv2.pt2"
    path.write_bytes(mobilenet[1])

    def run(*args: str) -> list[dict]:
        p = subprocess.run([sys.executable, "-m", "cnnviz", "predict", "assets/photos/chelsea.png", *args, "--json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    mine, ref = run("--model-file", str(path)), run("--model", "mobilenet_v2")
    assert [m["index"] for m in mine] == [r["index"] for r in ref]
    assert [m["probability"] for m in mine] == pytest.approx([r["probability"] for r in ref], abs=1e-5)
    bad = subprocess.run([sys.executable, "-m", "cnnviz", "layers", "--model-file", str(tmp_path / "none.pt2")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "no such file" in bad.stderr and "Traceback" not in bad.stderr


class _Dense(nn.Module):
    """A network of fully connected layers only: nothing spatial for a CAM to weigh."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(3 * 8 * 8, 16), nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def test_a_network_without_a_spatial_layer_explains_with_gradients_and_says_why_cams_cannot():
    net = exported.load(_save(_Dense(), (2, 3, 8, 8)))
    x = torch.rand(1, 3, 8, 8)
    assert attribute(net, x, "saliency", target=1).values.shape == (8, 8)
    with pytest.raises(CnnvizError, match="has no layer with a height and width .* choose saliency"):
        attribute(net, x, "gradcam", target=1)
