"""Transfer learning: a frozen backbone separates a toy problem; fine-tuning never touches the shared model."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz import transfer as T
from cnnviz.errors import CnnvizError
from cnnviz.models import zoo

ROOT = Path(__file__).resolve().parents[1]


def test_a_frozen_backbone_learns_two_augmented_photos_to_90_percent():
    ds = T.demo_dataset(per_class=16, seed=3, photos=("Chelsea the cat", "Coffee"))
    res = T.train(ds, "head", epochs=10, seed=3)
    assert res.heldout_accuracy >= 0.9
    assert res.trainable_params == 1280 * 2 + 2


def test_fine_tuning_works_on_a_copy_and_leaves_the_shared_model_unchanged():
    shared = zoo.shared_model("efficientnet_lite0")
    before = {k: v.clone() for k, v in shared.state_dict().items()}
    ds = T.demo_dataset(per_class=4, seed=1, photos=("Chelsea the cat", "Rocket launch"))
    res = T.train(ds, "last-k", k=1, epochs=1)
    assert res.model is not shared and res.trainable_layers[0] == "_blocks.15"
    for k, v in shared.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert not any(p.requires_grad for p in shared.parameters())
    assert res.predict(ds.images[:2]).shape == (2, 2)


def test_the_head_downloads_and_loads_back():
    ds = T.demo_dataset(per_class=4, seed=2, photos=("Chelsea the cat", "Coffee"))
    res = T.train(ds, "head", epochs=2)
    head, classes = T.load_head(res.head_bytes())
    torch.testing.assert_close(head.weight, res.model.weight)
    assert classes == ds.classes
    with pytest.raises(CnnvizError):
        T.load_head(b"not a head")


def test_limits_are_enforced_with_clear_messages():
    ds = T.demo_dataset(per_class=3, photos=("Coffee",))
    with pytest.raises(CnnvizError, match="between 2 and 10 classes"):
        T.train(ds)
    with pytest.raises(CnnvizError, match="epochs"):
        T.train(T.demo_dataset(per_class=3), epochs=99)


def test_transfer_cli_on_a_folder_of_classes(tmp_path):
    rng = np.random.default_rng(0)
    for name, title in (("cat", "Chelsea the cat"), ("rocket", "Rocket launch")):
        (tmp_path / name).mkdir()
        from cnnviz.images import load_sample

        for k in range(6):
            Image.fromarray(T.augment(load_sample(title), rng)).save(tmp_path / name / f"{k}.jpg")
    p = subprocess.run([sys.executable, "-m", "cnnviz", "transfer", str(tmp_path), "--strategy", "head",
                        "--epochs", "5", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout.splitlines()[-1])
    assert summary["classes"] == ["cat", "rocket"] and summary["heldout_accuracy"] >= 0.9


def test_frozen_features_are_computed_once_per_image(monkeypatch):
    ds = T.demo_dataset(per_class=3, seed=4, photos=("Chelsea the cat", "Coffee"))
    cache: dict = {}
    first = T.train(ds, "head", epochs=2, feature_cache=cache)
    assert len(cache) == len(ds.images)
    monkeypatch.setattr(T, "features", lambda *a, **k: (_ for _ in ()).throw(AssertionError("recomputed")))
    again = T.train(ds, "head", epochs=2, feature_cache=cache)  # no backbone pass at all now
    assert again.heldout_accuracy == first.heldout_accuracy
