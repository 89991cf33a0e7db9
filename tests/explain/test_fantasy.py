"""Fantasy images: a short CPU run really excites the target, the seed fixes the image, MACO keeps its magnitude."""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cnnviz.explain import fantasy as fa
from cnnviz.images import load_sample
from cnnviz.networks.network import get

LAYER = "_blocks.5.depthwise_act"  # a ReLU6
CFG = fa.FantasyConfig(layer=LAYER, channel=11, size=96, steps=64, seed=0)


def _as_input(img: np.ndarray) -> torch.Tensor:
    return torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)[None] / 255


@pytest.mark.parametrize("param", list(fa.PARAMETERISATIONS))
def test_the_optimised_image_excites_its_channel_ten_times_more_than_noise_and_more_than_a_photo(param):
    cfg = fa.FantasyConfig(layer=LAYER, channel=11, size=96, steps=64, seed=0, param=param)
    after = fa.FantasyConfig(layer=LAYER, channel=11, size=96, preactivation=False)  # the ReLU6's own output
    start = fa.activation(after, fa.start_noise(cfg))
    photo = fa.activation(after, _as_input(np.asarray(Image.fromarray(load_sample("Coffee")).resize((96, 96)))))
    result = fa.fantasy(cfg)
    end = fa.activation(after, _as_input(result.image))
    assert start > 0 and end >= 10 * start and end > photo
    assert result.history[-1] > result.history[0]


def test_a_rectifier_is_optimised_on_its_input_unless_asked_otherwise():
    info = get("efficientnet_lite0").layer(LAYER)
    assert info.kind == "ReLU6"
    assert fa.target_node(CFG) == info.source == "_blocks.5._bn1"
    assert fa.target_node(fa.FantasyConfig(layer=LAYER, preactivation=False)) == LAYER
    conv = "_blocks.5._depthwise_conv"
    assert fa.target_node(fa.FantasyConfig(layer=conv)) == conv  # not a rectifier: read as it is


def test_a_saturated_relu6_has_no_gradient_but_its_input_has():
    """Why the default reads the input: once every unit of the channel is past 6, its output cannot rise."""
    x = torch.full((1, 4), 7.0, requires_grad=True)
    torch.nn.functional.relu6(x).mean().backward()
    assert x.grad is not None and x.grad.abs().sum() == 0
    x.grad = None
    x.mean().backward()
    assert x.grad.abs().sum() > 0


@pytest.mark.parametrize("param", list(fa.PARAMETERISATIONS))
def test_the_same_seed_gives_the_same_image_bit_for_bit_and_another_seed_another(param):
    cfg = fa.FantasyConfig(layer="_blocks.2.depthwise_act", channel=3, size=64, steps=6, seed=5, param=param,
                           noise=0.05)
    a, b = fa.fantasy(cfg).image, fa.fantasy(cfg).image
    np.testing.assert_array_equal(a, b)
    other = fa.fantasy(fa.FantasyConfig(layer="_blocks.2.depthwise_act", channel=3, size=64, steps=6, seed=6,
                                        param=param, noise=0.05)).image
    assert not np.array_equal(a, other)


def test_maco_changes_only_the_phase_the_magnitude_stays_that_of_natural_images():
    gen = torch.Generator().manual_seed(0)
    img = fa.SpectrumImage(64, gen, "maco")
    assert sorted(n for n, _ in img.named_parameters()) == ["colour", "phase"]  # no magnitude
    with torch.no_grad():
        img.phase.add_(torch.randn(img.phase.shape, generator=gen))  # any phase at all
        out = img()[0]
    logits = torch.log(out / (1 - out))  # undo the sigmoid, then the colour mixing
    decorrelated = torch.einsum("ij,jhw->ihw", torch.linalg.inv(fa._COLOR_SQRT), logits)
    magnitude = torch.fft.rfftn(decorrelated, dim=(1, 2), norm="ortho").abs()[:, 1:, 1:-1]  # bins irfft keeps whole
    ratio = magnitude / img.magnitude[1:, 1:-1]
    assert float(ratio.std() / ratio.mean()) < 1e-3  # one constant: the 1/f magnitude up to the standardisation


def test_several_images_at_once_are_pushed_apart_by_the_diversity_term():
    def spread(weight: float) -> float:
        cfg = fa.FantasyConfig(layer="_blocks.4.depthwise_act", channel=5, size=64, steps=32, images=3,
                               diversity=weight, seed=1)
        res = fa.fantasy(cfg)
        assert len(res.all_images) == 3
        fx = fa.objective(replace(cfg, diversity=1.0))  # an objective that also returns the features
        with torch.no_grad():
            _, feats = fx(fa.to_model_input(cfg.model, torch.cat([fa.image_tensor(i) for i in res.all_images])))
        return float(fa.diversity(feats, 3))  # mean similarity of the images' Gram matrices

    assert spread(5.0) < spread(0.0) - 0.005


def test_a_class_objective_is_the_logit_and_a_stop_request_returns_what_was_made():
    cfg = fa.FantasyConfig(target="class", class_index=967, size=64, steps=50)
    noise = fa.start_noise(cfg)
    with torch.no_grad():
        logit = float(get(cfg.model).module()(fa.to_model_input(cfg.model, noise))[0, 967])
    assert fa.activation(cfg, noise) == pytest.approx(logit, rel=1e-5)
    done: list[int] = []
    res = fa.fantasy(cfg, should_stop=lambda: len(done) >= 5, on_step=lambda s, v, p: done.append(s))
    assert res.stopped_at == 5 and len(res.history) == 5 and res.image.shape == (64, 64, 3)


def test_class_and_unit_objectives_and_regularisers_run_and_leave_the_model_frozen():
    seen = []
    r = fa.fantasy(fa.FantasyConfig(target="class", class_index=967, size=64, steps=8, tv=0.1, l2=0.1, blur=1.0,
                                    images=2, diversity=1.0),
                   on_step=lambda s, v, p: seen.append((s, p is not None)))
    assert r.image.shape == (64, 64, 3) and len(r.others) == 1 and seen[-1] == (8, True)
    fa.fantasy(fa.FantasyConfig(target="unit", layer=LAYER, channel=2, unit=(3, 4), size=64, steps=4))
    model = get("efficientnet_lite0").module()
    assert not any(p.requires_grad for p in model.parameters())
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("nesterov, reference", [(True, torch.optim.NAdam), (False, torch.optim.Adam)],
                         ids=["NAdam", "Adam"])
def test_the_optimiser_steps_exactly_as_torch_optim_does(nesterov, reference):
    gen = torch.Generator().manual_seed(1)
    ours = [torch.randn(5, 7, generator=gen, requires_grad=True), torch.randn(3, generator=gen, requires_grad=True)]
    theirs = [t.detach().clone().requires_grad_(True) for t in ours]
    goal = [torch.randn(5, 7, generator=gen), torch.randn(3, generator=gen)]
    steppers = ((ours, fa.Moments(ours, 0.1, nesterov)), (theirs, reference(theirs, lr=0.1)))
    for _ in range(60):
        for params, opt in steppers:
            opt.zero_grad()
            sum(((p - g) ** 4).sum() + p.sin().sum() for p, g in zip(params, goal, strict=True)).backward()
            opt.step()
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)


def test_a_coarse_step_sees_the_full_picture_sampled_coarser():
    """Fourier: a spectrum with nothing at or above the small side's Nyquist frequency gives, at the small side,
    exactly every second pixel of the full picture; MACO: close to the full picture averaged down."""
    gen = torch.Generator().manual_seed(0)
    pic = fa.SpectrumImage(64, gen, "fourier", 1, 1.0)
    fy = torch.fft.fftfreq(64).abs()[:, None] * 64
    fx = torch.fft.rfftfreq(64)[None, :] * 64
    low = ((fy < 16) & (fx < 16)).to(torch.float32)[None, None, :, :, None]
    with torch.no_grad():
        pic.spectrum.copy_(torch.randn(pic.spectrum.shape, generator=gen) * low)
        assert torch.allclose(pic(32), pic()[:, :, ::2, ::2], atol=1e-5)
        maco = fa.SpectrumImage(224, gen, "maco", 1, 2.0)
        assert (maco(112) - F.interpolate(maco(), size=112, mode="area")).abs().mean() < 0.01
        assert maco(112).shape == (1, 3, 112, 112) and maco(300).shape == (1, 3, 224, 224)


def test_the_default_class_schedule_starts_small_and_ends_at_full_size(monkeypatch):
    cfg = fa.FantasyConfig(target="class", class_index=130, seed=0,
                           **{**fa.COARSE_TO_FINE, "steps": 2, "coarse_steps": 3})
    sizes = []
    transform = fa.transform

    def seen(img, *args):
        sizes.append(img.shape[-1])
        return transform(img, *args)

    monkeypatch.setattr(fa, "transform", seen)
    res = fa.fantasy(cfg)
    assert sizes == [128, 128, 128, 224, 224] and res.image.shape == (224, 224, 3) and len(res.history) == 5
