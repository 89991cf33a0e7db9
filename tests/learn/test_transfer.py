"""Transfer learning: a frozen backbone separates a toy problem; fine-tuning never touches the shared model."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz.errors import CnnvizError
from cnnviz.learn import transfer as T
from cnnviz.networks.network import get
from cnnviz.networks.specs import SPECS

ROOT = Path(__file__).resolve().parents[2]


def test_a_frozen_backbone_learns_two_augmented_photos_to_90_percent():
    ds = T.augmented_dataset(per_class=16, seed=3, photos=("Chelsea the cat", "Coffee"))
    res = T.train(ds, "head", epochs=10, seed=3)
    assert res.heldout_accuracy >= 0.9
    assert res.trainable_params == 1280 * 2 + 2


def test_fine_tuning_works_on_a_copy_and_leaves_the_shared_model_unchanged():
    shared = get("efficientnet_lite0").module()
    before = {k: v.clone() for k, v in shared.state_dict().items()}
    ds = T.augmented_dataset(per_class=4, seed=1, photos=("Chelsea the cat", "Rocket launch"))
    res = T.train(ds, "last-k", k=1, epochs=1)
    assert res.classifier.network is not shared and res.trainable_layers[0] == "_blocks.15"
    for k, v in shared.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert not any(p.requires_grad for p in shared.parameters())
    assert res.predict(ds.images[:2]).shape == (2, 2)


def test_the_head_downloads_and_loads_back_and_predicts_the_same():
    ds = T.augmented_dataset(per_class=4, seed=2, photos=("Chelsea the cat", "Coffee"))
    res = T.train(ds, "head", epochs=2)
    data = res.classifier.to_bytes()
    assert len(data) < 50_000  # only the head travels: 1280 × 2 + 2 numbers
    back = T.load_classifier(data)
    torch.testing.assert_close(back.head.weight, res.classifier.head.weight)
    assert back.classes == ds.classes and back.backbone == "efficientnet_lite0"
    np.testing.assert_allclose(back.predict(ds.images[:3]), res.predict(ds.images[:3]), atol=1e-6)
    with pytest.raises(CnnvizError, match="not a CNN Explorer classifier"):
        T.load_classifier(b"not a head")


def test_a_head_only_network_shares_the_backbone_and_matches_the_feature_path():
    ds = T.augmented_dataset(per_class=4, seed=5, photos=("Chelsea the cat", "Coffee"))
    res = T.train(ds, "head", epochs=2)
    shared = get("efficientnet_lite0").module()
    net = res.classifier.network
    assert net._conv_stem is shared._conv_stem and net._fc is not shared._fc and shared._fc.out_features == 1000
    handle = net.register_forward_hook(lambda *a: None)  # whatever is done to the twin stays on the twin
    assert not shared._forward_hooks
    handle.remove()
    with torch.no_grad():
        logits = net(T.batch(ds.images[:3]))
    np.testing.assert_allclose(logits.softmax(1).numpy(), res.predict(ds.images[:3]), atol=1e-5)


def test_a_fine_tuned_classifier_loads_back_with_its_changed_blocks():
    ds = T.augmented_dataset(per_class=4, seed=6, photos=("Chelsea the cat", "Rocket launch"))
    res = T.train(ds, "last-k", k=1, epochs=1)
    assert set(k.split(".")[0] for k in res.classifier.changed) == {"_blocks", "_conv_head", "_bn1", "_fc"}
    back = T.load_classifier(res.classifier.to_bytes())
    assert back.head is None and back.strategy == "last-k"
    np.testing.assert_allclose(back.predict(ds.images[:2]), res.predict(ds.images[:2]), atol=1e-5)


def test_a_first_format_head_file_still_loads():
    import io

    head = torch.nn.Linear(1280, 2)
    buf = io.BytesIO()
    torch.save({"state_dict": head.state_dict(), "classes": ["a", "b"]}, buf)
    back = T.load_classifier(buf.getvalue())
    torch.testing.assert_close(back.head.weight, head.weight)


def test_a_head_for_the_wrong_backbone_is_refused_clearly():
    import io

    buf = io.BytesIO()
    torch.save({"state_dict": {"_fc.weight": torch.zeros(3, 512), "_fc.bias": torch.zeros(3)},
                "classes": ["a", "b", "c"], "backbone": "efficientnet_lite0"}, buf)
    with pytest.raises(CnnvizError, match="does not fit EfficientNet-Lite0's 1280 features"):
        T.load_classifier(buf.getvalue())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "googlenet", "alexnet", "mobilenet_v2"])
def test_a_cached_torchvision_backbone_trains_every_strategy_on_a_copy(torchvision_cache, name):
    if SPECS[name].source == "torchvision":
        torchvision_cache(name)
    assert name in T.available_backbones()
    shared = get(name).module()
    before = {k: v.clone() for k, v in shared.state_dict().items()}
    ds = T.augmented_dataset(per_class=3, seed=1, photos=("Chelsea the cat", "Coffee"))
    head = T.train(ds, "head", epochs=2, name=name)
    assert head.trainable_params == T.feature_width(name) * 2 + 2
    tuned = T.train(ds, "last-k", k=1, epochs=1, name=name)
    assert tuned.trainable_layers[0] == T.BACKBONES[name].blocks[-1]
    every = T.train(ds, "all", epochs=1, name=name)
    assert every.trainable_params == every.total_params
    for k, v in shared.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert shared.get_submodule(T.BACKBONES[name].classifier).out_features == 1000
    back = T.load_classifier(tuned.classifier.to_bytes())
    np.testing.assert_allclose(back.predict(ds.images[:2]), tuned.predict(ds.images[:2]), atol=1e-5)


def test_a_missing_backbone_is_not_offered_and_its_file_is_refused(tmp_path, monkeypatch):
    import io

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert T.available_backbones() == [n for n, s in SPECS.items() if s.source == "package"]
    buf = io.BytesIO()
    torch.save({"state_dict": {"fc.weight": torch.zeros(2, 512), "fc.bias": torch.zeros(2)},
                "classes": ["a", "b"], "backbone": "resnet18"}, buf)
    with pytest.raises(CnnvizError, match="ResNet-18 weights, which are not on this machine"):
        T.load_classifier(buf.getvalue())


def test_limits_are_enforced_with_clear_messages():
    ds = T.augmented_dataset(per_class=3, photos=("Coffee",))
    with pytest.raises(CnnvizError, match="between 2 and 10 classes"):
        T.train(ds)
    with pytest.raises(CnnvizError, match="epochs"):
        T.train(T.augmented_dataset(per_class=3), epochs=99)


def test_transfer_cli_on_a_folder_of_classes(tmp_path):
    rng = np.random.default_rng(0)
    for name, title in (("cat", "Chelsea the cat"), ("rocket", "Rocket launch")):
        (tmp_path / name).mkdir()
        from cnnviz.images import load_sample

        for k in range(6):
            Image.fromarray(T.augment(load_sample(title), rng)).save(tmp_path / name / f"{k}.jpg")
    out = tmp_path / "classifier.pt"
    p = subprocess.run([sys.executable, "-m", "cnnviz", "transfer", str(tmp_path), "--strategy", "head",
                        "--epochs", "5", "--json", "--out", str(out)], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout.splitlines()[-1])
    assert summary["classes"] == ["cat", "rocket"] and summary["heldout_accuracy"] >= 0.9
    assert T.load_classifier(out.read_bytes()).classes == ["cat", "rocket"]
    photo = tmp_path / "rocket" / "0.jpg"
    p = subprocess.run([sys.executable, "-m", "cnnviz", "predict", str(photo), "--classifier", str(out), "--json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    preds = json.loads(p.stdout)
    assert len(preds) == 2 and preds[0]["label"] == "rocket"


def test_transfer_cli_says_how_to_get_a_missing_backbone(tmp_path):
    import os

    p = subprocess.run([sys.executable, "-m", "cnnviz", "transfer", str(tmp_path), "--model", "resnet18"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "TORCH_HOME": str(tmp_path)})
    assert p.returncode != 0 and "python -m cnnviz download resnet18" in p.stderr and "Traceback" not in p.stderr


def test_frozen_features_are_computed_once_per_image(monkeypatch):
    ds = T.augmented_dataset(per_class=3, seed=4, photos=("Chelsea the cat", "Coffee"))
    cache: dict = {}
    first = T.train(ds, "head", epochs=2, feature_cache=cache)
    assert len(cache) == len(ds.images)
    monkeypatch.setattr(T, "features", lambda *a, **k: (_ for _ in ()).throw(AssertionError("recomputed")))
    again = T.train(ds, "head", epochs=2, feature_cache=cache)  # no backbone pass at all now
    assert again.heldout_accuracy == first.heldout_accuracy


def test_a_classifier_used_on_the_network_pages_predicts_its_own_classes():
    from cnnviz.networks import probe as ins

    ds = T.augmented_dataset(per_class=4, seed=7, photos=("Chelsea the cat", "Coffee"))
    res = T.train(ds, "head", epochs=3)
    sm = res.classifier.session_model(res.heldout_accuracy)
    assert sm.labels == tuple(ds.classes) and "2-class classifier" in sm.title
    x = get(sm.key).preprocess(ds.images[0])
    preds = ins.predict(get(sm.key), x, top=5)
    assert len(preds) == 2
    p = res.predict(ds.images[:1])[0]
    assert preds[0].label == ds.classes[int(p.argmax())] and preds[0].probability == pytest.approx(p.max(), abs=1e-5)
    shared_layers = ins.layers(get("efficientnet_lite0"))
    assert [i.node for i in ins.layers(get(sm.key))] == [i.node for i in shared_layers]
    assert get("efficientnet_lite0").module()._fc.out_features == 1000


def test_uploaded_photos_are_shrunk_and_class_names_must_differ():
    import io

    from cnnviz.images import load_sample

    buf = io.BytesIO()
    Image.fromarray(np.repeat(np.repeat(load_sample("Coffee"), 3, axis=0), 3, axis=1)).save(buf, "PNG")
    photo = T.prepare_photo(buf.getvalue(), "big.png")
    assert max(photo.shape[:2]) == T.LIMITS["side"]
    ds = T.augmented_dataset(per_class=3, photos=("Chelsea the cat", "Coffee"))
    ds.classes = ["cat", "cat "]
    with pytest.raises(CnnvizError, match="same name"):
        ds.check()
    ds.classes = ["cat", " "]
    with pytest.raises(CnnvizError, match="needs a name"):
        ds.check()


@pytest.mark.slow
def test_a_background_run_trains_the_strategies_in_turn_on_one_split():
    ds = T.augmented_dataset(per_class=4, seed=8, photos=("Chelsea the cat", "Coffee"))
    run = T.TransferRun(ds, ["head", "last-k"], k=1, epochs=2).start()
    run.join(300)
    snap = run.snapshot()
    assert snap.done and not snap.stopped and snap.error is None
    assert list(snap.results) == ["head", "last-k"] and [len(h) for h in snap.histories.values()] == [2, 2]
    assert snap.results["head"].heldout_accuracy == snap.histories["head"][-1]["heldout_acc"]


@pytest.mark.slow
def test_a_background_run_stops_between_batches():
    ds = T.augmented_dataset(per_class=12, seed=9, photos=("Chelsea the cat", "Coffee"))
    run = T.TransferRun(ds, ["all"], epochs=30).start()
    deadline = time.monotonic() + 120
    while not run.snapshot().histories["all"] and time.monotonic() < deadline:
        time.sleep(0.2)
    run.stop()
    run.join(60)
    snap = run.snapshot()
    assert snap.done and snap.stopped and "all" not in snap.results and len(snap.histories["all"]) < 30


def test_a_background_run_refuses_bad_data_before_it_starts():
    ds = T.augmented_dataset(per_class=3, photos=("Coffee",))
    with pytest.raises(CnnvizError, match="between 2 and 10 classes"):
        T.TransferRun(ds, ["head"])


def test_the_demo_holds_out_different_photos_and_shows_learning():
    ds = T.demo_dataset()
    train_idx, test_idx = T.split(ds)
    assert len(test_idx) == 8 * 3 and len(train_idx) == 12 * 3 and ds.classes == ["digit 4", "digit 7", "digit 9"]
    train_set = {ds.images[i].tobytes() for i in train_idx}
    assert not any(ds.images[i].tobytes() in train_set for i in test_idx)  # no held-out photo was trained on
    res = T.train(ds, "head", epochs=8)
    first, last = res.history[0], res.history[-1]
    assert first["loss"] > 0.3 and last["loss"] < 0.7 * first["loss"]  # learning is visible, never 0.0 at once
    assert last["heldout_acc"] >= 0.8 and last["heldout_acc"] > first["heldout_acc"]


def test_the_held_out_photos_are_judged_and_a_photos_top_classes_ranked_by_the_classifiers_probabilities():
    ds = T.augmented_dataset(per_class=6, seed=4, photos=("Chelsea the cat", "Coffee"))
    train_idx, test_idx = T.split(ds, seed=4)
    res = T.train(ds, "head", epochs=3, seed=4, train_idx=train_idx, test_idx=test_idx)
    judged = T.judge_heldout(res, ds, test_idx)
    probs = res.predict([ds.images[i] for i in test_idx])
    assert [j.true for j in judged] == [ds.labels[i] for i in test_idx]
    assert [j.predicted for j in judged] == list(probs.argmax(1))
    np.testing.assert_allclose([j.confidence for j in judged], probs.max(1), rtol=1e-6)
    tops = T.top_classes(res.classifier, [ds.images[i] for i in test_idx], top=2)
    for top, p in zip(tops, probs):
        assert [t.index for t in top] == list(np.argsort(-p)[:2]) and top[0].label == ds.classes[int(p.argmax())]
        assert abs(sum(t.probability for t in top) - 1) < 1e-5
