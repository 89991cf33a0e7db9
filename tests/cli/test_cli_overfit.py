"""`python -m cnnviz overfit` and `augment`: the page's engine from the command line, as the issue's JSON, refusals in
words (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_cli import ROOT, run

pytestmark = pytest.mark.slow
PHOTO = ROOT / "assets" / "photos" / "astronaut.png"


def test_overfit_json_has_the_history_the_best_epoch_and_the_final_figures():
    out = json.loads(run("overfit", "--train-size", "60", "--epochs", "6", "--early-stopping", "2", "--augment",
                         "shift", "--json").stdout)
    assert set(out) == {"history", "best_epoch", "stopped_at", "train_accuracy", "heldout_accuracy", "gap", "seconds"}
    assert [h["epoch"] for h in out["history"]] == list(range(1, len(out["history"]) + 1))
    assert set(out["history"][0]) == {"epoch", "train_loss", "train_accuracy", "heldout_loss", "heldout_accuracy"}
    best = min(out["history"], key=lambda h: h["heldout_loss"])
    assert out["best_epoch"] == best["epoch"]
    assert out["gap"] == pytest.approx(out["train_accuracy"] - out["heldout_accuracy"])
    if out["stopped_at"] is not None:
        assert out["heldout_accuracy"] == best["heldout_accuracy"]  # the best epoch's weights restored


@pytest.mark.parametrize(("args", "words"), [
    (("--train-size", "20"), "train size must be 50–4000"),
    (("--epochs", "500"), "epochs must be 1–200"),
    (("--augment", "flip"), "no flips"),
    (("--dropout", "1.5"), "dropout must be 0–0.9"),
])
def test_overfit_refuses_out_of_range_settings_in_one_sentence(args, words):
    p = run("overfit", *args, check=False)
    assert p.returncode == 2 and words in p.stderr and p.stderr.count("\n") == 1


def test_augment_writes_the_images_and_their_parameters_and_the_same_seed_gives_the_same_bytes(tmp_path):
    out = json.loads(run("augment", str(PHOTO), "--op", "pca", "--n", "3", "--seed", "4", "-o", str(tmp_path / "a"),
                         "--json").stdout)
    assert [Path(p).name for p in out["images"]] == ["aug_00.png", "aug_01.png", "aug_02.png"]
    assert set(out["params"][0]) == {"alpha", "eigenvalues", "eigenvectors", "offset_rgb"}
    again = json.loads(run("augment", str(PHOTO), "--op", "pca", "--n", "3", "--seed", "4", "-o",
                           str(tmp_path / "b"), "--json").stdout)
    assert all(Path(a).read_bytes() == Path(b).read_bytes() for a, b in zip(out["images"], again["images"],
                                                                               strict=True))
    original = np.asarray(Image.open(PHOTO).convert("RGB"), dtype=float)
    first = np.asarray(Image.open(out["images"][0]), dtype=float)
    np.testing.assert_array_equal(first, np.clip(np.rint(original + out["params"][0]["offset_rgb"]), 0, 255))


def test_augment_crop_is_alexnets_224_px_and_flip_the_exact_mirror(tmp_path):
    out = json.loads(run("augment", str(PHOTO), "--op", "crop", "--n", "2", "-o", str(tmp_path), "--json").stdout)
    assert Image.open(out["images"][0]).size == (224, 224)
    flipped = json.loads(run("augment", str(PHOTO), "--op", "flip", "--n", "1", "-o", str(tmp_path / "f"),
                             "--json").stdout)
    assert np.array_equal(np.asarray(Image.open(flipped["images"][0])),
                          np.asarray(Image.open(PHOTO).convert("RGB"))[:, ::-1])


def test_augment_refuses_a_file_that_is_not_an_image_and_a_bad_count(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a photo")
    p = run("augment", str(bad), "--op", "rotate", "-o", str(tmp_path), check=False)
    assert p.returncode == 2 and "is not an image" in p.stderr
    p = run("augment", str(PHOTO), "--op", "rotate", "--n", "65", "-o", str(tmp_path), check=False)
    assert p.returncode == 2 and "1–64 samples" in p.stderr
