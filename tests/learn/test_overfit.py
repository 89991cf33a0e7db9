"""The Overfitting lab's engine: the subsets, the cures and early stopping do what they say, checked against torch and
the formulas; the notes' claims hold on our numbers (slow: real runs)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.errors import CnnvizError
from cnnviz.learn import augment as A
from cnnviz.learn import overfit as O
from cnnviz.learn.seeding import GeneratorDropout
from cnnviz.networks import lenet

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("n", [50, 73, 200, 1000, 4000])
def test_a_subset_is_class_balanced_and_the_same_for_the_same_size_and_seed(n):
    _, y, _, _ = lenet.mnist_split()
    idx = O.subset(n, 3)
    counts = np.bincount(y[idx], minlength=10)
    assert len(idx) == len(set(idx)) == n
    assert counts.max() - counts.min() <= 1 or n == 4000  # all 4,000 are not balanced (MNIST has more 1s)
    assert np.array_equal(idx, O.subset(n, 3))
    if n < 4000:
        assert not np.array_equal(idx, O.subset(n, 4))


def test_a_larger_subset_holds_the_smaller_ones_digits():
    assert set(O.subset(200, 0)) <= set(O.subset(1000, 0))


def test_dropout_is_inverted_identity_when_measuring_and_mean_preserving_in_training():
    drop = GeneratorDropout(0.5, torch.Generator().manual_seed(0))
    x = torch.ones(200_000)
    drop.eval()
    assert torch.equal(drop(x), x)
    drop.train()
    y = drop(x)
    assert set(torch.unique(y).tolist()) == {0.0, 2.0}  # kept units scaled by 1/(1 − p)
    assert abs(float(y.mean()) - 1.0) < 0.01


def test_weight_decay_is_the_gradient_of_the_l2_term():
    """Adam with weight_decay λ steps exactly as Adam without it on the loss + (λ/2)·‖w‖²."""
    lam = 0.01
    torch.manual_seed(0)
    a = nn.Linear(6, 3)
    b = nn.Linear(6, 3)
    b.load_state_dict(a.state_dict())
    x, t = torch.randn(8, 6), torch.randint(0, 3, (8,))
    oa = torch.optim.Adam(a.parameters(), lr=1e-2, weight_decay=lam)
    ob = torch.optim.Adam(b.parameters(), lr=1e-2)
    for _ in range(3):
        oa.zero_grad()
        F.cross_entropy(a(x), t).backward()
        oa.step()
        ob.zero_grad()
        (F.cross_entropy(b(x), t) + lam / 2 * sum((p**2).sum() for p in b.parameters())).backward()
        ob.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)


def test_early_stopping_returns_exactly_the_best_epochs_weights():
    cfg = O.OverfitConfig(train_size=100, epochs=40, patience=3, seed=1)
    result, model = O.train_run(cfg)
    assert result.stopped_at is not None and result.stopped_at == result.best_epoch + cfg.patience
    best = result.best()
    xall, yall, xte, yte = O._digits()
    idx = torch.from_numpy(O.subset(cfg.train_size, cfg.seed))
    assert O.evaluate(model, xte, yte) == (best["heldout_loss"], best["heldout_accuracy"])
    assert result.heldout_accuracy == best["heldout_accuracy"]
    assert result.train_accuracy == O.evaluate(model, xall[idx], yall[idx])[1]


def test_the_same_settings_and_seed_give_the_same_run():
    cfg = O.OverfitConfig(train_size=50, epochs=3, dropout=0.3, augment=("shift", "rotate"), seed=2)
    assert O.train_run(cfg)[0].history == O.train_run(cfg)[0].history


def test_augmentation_keeps_the_label_a_trained_lenet_still_reads_most_augmented_digits():
    from cnnviz.networks.network import get

    model = get("lenet5").module("cpu")
    _, _, xte, yte = O._digits()
    x, y = xte[:300], yte[:300]
    moved = O.digit_augment(x, ("shift", "rotate"), torch.Generator().manual_seed(0))
    assert not torch.equal(moved, x)
    with torch.no_grad():
        plain = (model(x).argmax(1) == y).float().mean()
        aug = (model(moved).argmax(1) == y).float().mean()
    assert aug >= 0.85 and aug >= plain - 0.1  # a 2 shifted and turned a little is still a 2


def test_settings_out_of_range_and_flips_of_digits_are_refused_in_words():
    with pytest.raises(CnnvizError, match="train size must be 50–4000"):
        O.OverfitConfig(train_size=20).check()
    with pytest.raises(CnnvizError, match="no flips"):
        O.parse_augment("shift,flip")
    assert O.parse_augment("rotate,shift") == ("shift", "rotate") and O.parse_augment("none") == ()


# -- augmentation of photos -------------------------------------------------------------------------------------------

def _photo(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (40, 56, 3))
    return np.clip(base + np.linspace(0, 80, 56)[None, :, None], 0, 255).astype(np.uint8)


def test_pca_colour_augmentation_equals_the_formula_on_the_photos_own_covariance():
    rgb = _photo()
    (out, p), = A.samples(rgb, "pca", 1, seed=5)
    pix = rgb.reshape(-1, 3).astype(np.float64) / 255
    cov = (pix - pix.mean(0)).T @ (pix - pix.mean(0)) / (len(pix) - 1)
    vals, vecs = np.linalg.eigh(cov)
    np.testing.assert_allclose(sorted(p["eigenvalues"]), vals, rtol=1e-9)
    for lam, v in zip(p["eigenvalues"], np.asarray(p["eigenvectors"]).T, strict=True):
        np.testing.assert_allclose(cov @ v, lam * v, atol=1e-12)  # each column is an eigenvector of that value
    alpha = np.random.default_rng([5, 0]).normal(0, 0.1, 3)
    np.testing.assert_allclose(p["alpha"], alpha)
    offset = 255 * sum(a * lam * v for a, lam, v in zip(alpha, p["eigenvalues"], np.asarray(p["eigenvectors"]).T,
                                                           strict=True))
    np.testing.assert_allclose(p["offset_rgb"], offset, atol=1e-9)
    assert np.array_equal(out, np.clip(np.rint(rgb + offset), 0, 255).astype(np.uint8))


def test_flip_is_the_exact_mirror_and_alexnets_crop_is_224_px_and_mirrored_when_it_says():
    rgb = _photo()
    (out, _), = A.samples(rgb, "flip", 1)
    assert np.array_equal(out, rgb[:, ::-1])
    for img, p in A.samples(np.repeat(np.repeat(rgb, 8, 0), 8, 1), "crop", 6, seed=1):
        assert img.shape == (224, 224, 3) and set(p) == {"top", "left", "mirrored"}


@pytest.mark.parametrize("op", list(A.OPS))
def test_the_same_seed_gives_the_same_bytes_and_the_shape_is_kept(op):
    rgb = np.repeat(np.repeat(_photo(1), 7, 0), 7, 1)
    one, two = A.samples(rgb, op, 4, seed=9), A.samples(rgb, op, 4, seed=9)
    for (a, pa), (b, pb) in zip(one, two, strict=True):
        assert a.tobytes() == b.tobytes() and pa == pb
        assert a.dtype == np.uint8 and (op == "crop" or a.shape == rgb.shape)


def test_bad_augmentation_requests_are_refused_in_words():
    with pytest.raises(CnnvizError, match="1–64 samples"):
        A.samples(_photo(), "rotate", 0)
    with pytest.raises(CnnvizError, match="one of"):
        A.samples(_photo(), "blur", 2)


# -- the notes' claims, on our numbers --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def preset_runs() -> dict[O.OverfitConfig, O.OverfitResult]:
    """Every preset's runs, once (about 40 s on 2 cores)."""
    return {c: O.train_run(c)[0] for p in O.PRESETS.values() for c in p.runs}



@pytest.mark.slow
def test_small_data_overfits_and_its_held_out_loss_turns_upward(preset_runs):
    r = preset_runs[O.PRESETS["small-data"].runs[0]]
    assert r.train_accuracy >= 0.98 and r.gap >= 0.10
    assert r.best_epoch < 30 and r.history[-1]["heldout_loss"] > r.best()["heldout_loss"] + 0.05
    assert "then rose" in O.best_epoch_sentence(r)


@pytest.mark.slow
def test_augmentation_raises_the_held_out_accuracy_and_narrows_the_gap(preset_runs):
    base, aug = preset_runs[O.OverfitConfig()], preset_runs[O.OverfitConfig(augment=("shift", "rotate"))]
    assert aug.heldout_accuracy > base.heldout_accuracy + 0.02 and aug.gap < base.gap


def test_the_cure_that_closes_the_gap_most_is_read_off_the_runs():
    def run(label_cfg: O.OverfitConfig, train: float, held: float) -> O.OverfitResult:
        return O.OverfitResult(vars(label_cfg) | {"augment": list(label_cfg.augment)}, train_accuracy=train,
                               heldout_accuracy=held, done=True)

    base = O.OverfitConfig()
    results = [run(base, 1.0, 0.83), run(O.OverfitConfig(dropout=0.5), 1.0, 0.85),
               run(O.OverfitConfig(augment=("shift", "rotate")), 0.99, 0.91)]
    right, words = O.cure_verdict("shift+rotate", results)
    assert right and "without a cure is 17.0 points; with dropout 0.5 15.0, shift+rotate 8.0" in words
    assert not O.cure_verdict("dropout 0.5", results)[0]
    assert O.cure_answer(results[:2]) [0] == "yes"  # one cure: did it narrow the gap by a point or more?


@pytest.mark.slow
def test_each_presets_sentence_holds_on_our_numbers(preset_runs):
    def run(**kw) -> O.OverfitResult:
        if "augment" in kw:
            kw["augment"] = tuple(kw["augment"])
        return preset_runs[replace(O.OverfitConfig(), **kw)]

    base = run()
    early = run(patience=10)
    assert early.stopped_at == early.best_epoch + 10 < base.config["epochs"] / 2  # most epochs saved
    assert abs(early.heldout_accuracy - base.heldout_accuracy) < 0.03  # … not accuracy
    shift, rotate = run(augment=["shift"]), run(augment=["rotate"])
    assert shift.heldout_accuracy >= base.heldout_accuracy + 0.03 and shift.gap <= base.gap * 2 / 3
    assert rotate.heldout_accuracy - base.heldout_accuracy < shift.heldout_accuracy - base.heldout_accuracy
    assert abs(run(dropout=0.5).heldout_accuracy - base.heldout_accuracy) <= 0.05  # a few points at most
    small_l2, big_l2 = run(weight_decay=5e-4), run(weight_decay=0.01)
    assert abs(small_l2.heldout_accuracy - base.heldout_accuracy) < 0.02  # barely changes anything
    assert big_l2.weight_norm < small_l2.weight_norm < base.weight_norm  # shrinks the weights …
    assert base.gap - big_l2.gap < 0.03  # … yet closes little of the gap
    gaps = [run(train_size=n, epochs=e).gap for n, e in ((200, 60), (1000, 12), (4000, 3))]
    assert gaps[0] > gaps[1] > gaps[2]
