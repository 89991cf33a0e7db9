"""The CAM family: formulas as published (against a direct computation), and each class's map on its object."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cnnviz.cli import build_parser
from cnnviz.explain import methods as registry
from cnnviz.explain.method import Request
from cnnviz.explain.methods.eigencam import eigen_map
from cnnviz.explain.methods.gradcam_plus_plus import weights as cam_weights_gradcam_pp
from cnnviz.images import load_sample
from cnnviz.networks.network import get

TABBY, ESPRESSO = 281, 967


def cam(net, x, target: int, method: str, **kw) -> np.ndarray:
    """One CAM-family map through the method's own file (Score-CAM's batch and channel count as keywords)."""
    run = {k: kw.pop(k) for k in ("batch", "channels") if k in kw}
    return registry.method(method).compute(Request.for_class(net, x, target, **kw), **run).numpy()


def test_the_command_line_offers_every_attribution_method():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    method = next(a for a in sub.choices["attribute"]._actions if a.dest == "method")
    assert tuple(method.choices) == registry.names()


@pytest.mark.unit
def test_gradcam_plus_plus_weights_follow_the_papers_formula():
    rng = np.random.default_rng(0)
    a = torch.tensor(rng.uniform(0, 2, (1, 3, 4, 5)))
    g = torch.tensor(rng.normal(0, 1, (1, 3, 4, 5)))
    w = cam_weights_gradcam_pp(a, g)[0, :, 0, 0].numpy()
    for k in range(3):
        an, gn = a[0, k].numpy(), g[0, k].numpy()
        alpha = np.where(gn != 0, gn ** 2 / (2 * gn ** 2 + an.sum() * gn ** 3 + 1e-7), 0)
        assert w[k] == pytest.approx(float((alpha * np.maximum(gn, 0)).sum()), rel=1e-6)


@pytest.mark.unit
def test_eigencam_is_the_first_principal_component_signed_like_the_mean_map():
    rng = np.random.default_rng(1)
    a = torch.tensor(rng.uniform(0, 1, (1, 6, 5, 7)))
    m = eigen_map(a).numpy().ravel()
    x = a[0].reshape(6, -1).T.numpy()
    x = x - x.mean(0)
    pc = np.linalg.svd(x, full_matrices=False)[2][0]
    ref = x @ pc
    assert abs(np.corrcoef(m, ref)[0, 1]) == pytest.approx(1, abs=1e-6)
    assert np.corrcoef(m, a[0].mean(0).numpy().ravel())[0, 1] > 0


def _cat_and_coffee() -> tuple[np.ndarray, float]:
    """The cat photo and the espresso photo side by side; the fraction of the width the cat takes."""
    cat, cup = load_sample("Chelsea the cat"), load_sample("Coffee")

    def at_height(a, h=300):
        im = Image.fromarray(a)
        return np.asarray(im.resize((round(im.width * h / im.height), h)))

    left, right = at_height(cat), at_height(cup)
    return np.concatenate([left, right], axis=1), left.shape[1] / (left.shape[1] + right.shape[1])


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "layercam", "scorecam"])
def test_a_cam_map_of_the_cat_lies_on_the_cat_and_moves_to_the_cup_for_espresso(method):
    net = get("efficientnet_lite0")
    photo, split = _cat_and_coffee()
    x = net.preprocess(photo, "squash")  # both halves seen
    cut = round(x.shape[-1] * split)
    for target, on_left in ((TABBY, True), (ESPRESSO, False)):
        kw = {"channels": 96} if method == "scorecam" else {}
        m = cam(net, x, target, method, **kw)
        assert m.shape == tuple(x.shape[-2:]) and 0 <= m.min() and m.max() <= 1
        left, right = m[:, :cut].mean(), m[:, cut:].mean()
        assert (left > right) == on_left, (method, target, left, right)


@pytest.mark.slow
def test_eigencam_shows_the_same_map_whatever_the_class():
    net = get("efficientnet_lite0")
    x = net.preprocess(_cat_and_coffee()[0], "squash")
    assert np.array_equal(cam(net, x, TABBY, "eigencam"), cam(net, x, ESPRESSO, "eigencam"))


@pytest.mark.slow
def test_scorecam_reports_progress_and_stops_with_the_channels_done():
    net = get("efficientnet_lite0")
    x = net.preprocess(load_sample("Coffee"))
    seen: list[tuple[int, int]] = []
    m = cam(net, x, ESPRESSO, "scorecam", batch=16, channels=64, progress=lambda d, n: seen.append((d, n)),
            should_stop=lambda: len(seen) >= 2)
    assert seen == [(16, 64), (32, 64)] and np.isfinite(m).all()
    assert F.relu(torch.tensor(m)).max() <= 1
