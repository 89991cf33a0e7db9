"""Fantasy images (activation maximisation): inputs optimised to excite a class, a channel or a unit.

Two parameterisations, both in Fourier space with decorrelated colours and a sigmoid:
- "maco" (Fel et al., NeurIPS 2023): the magnitude of the spectrum is fixed (a 1/f^decay fall-off)
  and only the phase — here also each colour channel's strength — is optimised, so the picture
  cannot pile energy into high-frequency speckle or saturate; it is the default because another
  network recognises its class images far more often (bench/fantasy_judge.py, DEFAULT_DECAY);
- "fourier" (Olah et al. 2017 / lucent): magnitude and phase free, scaled by 1/f.

Each step sees the image through random robustness transforms — zoom (a crop of the image, or
the image shrunk inside reflected padding), rotation, jitter and pixel noise, all one affine
resampling — so the optimum is a picture rather than adversarial noise. Rectifier layers are
optimised before the activation (a ReLU6 saturated at 6 has no gradient). Several images of one
target can be made together with a diversity term (lucent's: unlike Gram matrices).

A schedule may start small (COARSE_TO_FINE, the class image's default): the first steps see the
picture's low band at a smaller side, a third of the cost, and settle its large shapes; the last
steps refine the full-size picture.

Everything random comes from one torch.Generator per call: the same seed gives the same image, bit
for bit. The model is read through a feature-extraction graph that shares its frozen parameters —
no hooks, nothing modified.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.networks.network import get
from cnnviz.networks.tracing import running, runs_networks

# sqrt of the colour correlation of natural images (ImageNet), as used by lucid/lucent
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOR_SQRT = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()

PARAMETERISATIONS = {
    "maco": "MACO: natural-image magnitude, optimised phase (Fel et al. 2023)",
    "fourier": "Fourier: free spectrum scaled by 1/f (Olah et al. 2017, lucent)",
}
RECTIFIERS = ("ReLU", "ReLU6")
DEFAULT_LR = {"maco": 0.1, "fourier": 0.05}
# spectrum ∝ 1/f^decay. Photos fall off about as 1/f; for MACO a steeper fixed fall-off leaves less room for texture
# and more for shapes and colour areas: softer pictures that another network recognises far more often (measured
# with bench/fantasy_judge.py on 10 classes, MobileNetV2 judging: decay 1 → 5/10 in its top-5, 1.5 → 9/10 but
# 4/10 first, 2 → 9/10 and 9/10 first). The learner can lower it for finer texture.
DEFAULT_DECAY = {"maco": 2.0, "fourier": 1.0}


# A class image's schedule, the page's and the command line's default: 80 steps on a 128-px copy of the picture (its
# low band: 3× cheaper per step), then 24 at 224 px. Measured with bench/fantasy_judge.py on 10 classes against
# 256 steps at 224 px: MobileNetV2 names the class first in 10/10 (256 steps: 6/10), EfficientNet-Lite1 in 10/10
# (10/10), in about a third of the time — the coarse steps settle large shapes that the full-size steps refine,
# where 256 full-size steps spend their effort on texture. Fewer full-size steps alone (64) lose: 7/10 and 8/10.
COARSE_TO_FINE = {"size": 224, "steps": 24, "coarse_size": 128, "coarse_steps": 80}


@dataclass(frozen=True)
class FantasyConfig:
    model: str = "efficientnet_lite0"
    target: str = "channel"  # "class" (a logit) | "channel" (its mean) | "unit"
    layer: str | None = None
    channel: int = 0
    unit: tuple[int, int] | None = None
    class_index: int = 0
    size: int = 224
    steps: int = 256
    lr: float | None = None  # None: DEFAULT_LR of the parameterisation
    seed: int = 0
    param: str = "maco"
    preactivation: bool = True  # a ReLU/ReLU6 layer is optimised on its input
    jitter: int = 8  # px of random shift
    zoom: tuple[float, float] = (0.5, 1.0)  # each view shows this fraction of the image's side (> 1: zoomed out)
    rotate: float = 15.0  # degrees, ±
    noise: float = 0.0  # std of pixel noise added to each view (0–1 scale)
    views: int = 1  # transformed views per image and step, their objectives averaged
    images: int = 1  # images made together (for diversity)
    diversity: float = 0.0  # weight of the diversity term (images > 1)
    gain: float = 1.5  # MACO contrast: the standardised image's std before the sigmoid
    decay: float | None = None  # spectrum ∝ 1/f^decay; None: DEFAULT_DECAY of the parameterisation
    l2: float = 0.0
    tv: float = 0.0
    blur: float = 0.0  # penalises the difference between the image and its 3×3 blur (high frequencies)
    coarse_size: int | None = None  # the side the first `coarse_steps` see (the picture's low band)…
    coarse_steps: int = 0  # …before the `steps` at `size`

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.param]

    @property
    def fall_off(self) -> float:
        return self.decay if self.decay is not None else DEFAULT_DECAY[self.param]


@dataclass
class FantasyResult:
    image: np.ndarray  # H×W×3 uint8 (the first image)
    history: list[float] = field(default_factory=list)  # objective per step (mean over images and views)
    seconds: float = 0.0
    others: list[np.ndarray] = field(default_factory=list)  # the further images when several were made
    stopped_at: int | None = None  # the step a stop request ended it at

    @property
    def all_images(self) -> list[np.ndarray]:
        return [self.image, *self.others]


def _spectrum_scale(size: int, decay: float) -> torch.Tensor:
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.rfftfreq(size)[None, :]
    return 1.0 / torch.sqrt(fx**2 + fy**2).clamp(min=1.0 / size) ** decay


class SpectrumImage(torch.nn.Module):
    """`images` pictures of side `size` in (0, 1), parameterised in Fourier space (see the module docstring)."""

    def __init__(self, size: int, gen: torch.Generator, param: str = "maco", images: int = 1, decay: float = 1.0,
                 gain: float = 1.5) -> None:
        super().__init__()
        if param not in PARAMETERISATIONS:
            raise ValueError(f"unknown parameterisation '{param}': use one of {', '.join(PARAMETERISATIONS)}")
        self.size, self.param, self.gain = size, param, gain
        self.magnitude: torch.Tensor
        self.register_buffer("magnitude", _spectrum_scale(size, decay))
        shape = (images, 3, size, size // 2 + 1)
        if param == "maco":  # uniform phase: a standardised (near-zero) one would add up to a bright corner
            self.phase = torch.nn.Parameter((torch.rand(shape, generator=gen) * 2 - 1) * math.pi)
            # how strongly each decorrelated colour channel shows (log scale): the spectrum's shape stays fixed,
            # the colour balance may change — a strawberry needs more red than the average photo has
            self.colour = torch.nn.Parameter(torch.zeros(images, 3, 1, 1))
        else:
            self.spectrum = torch.nn.Parameter(torch.randn(*shape, 2, generator=gen) * 0.01)

    def forward(self, size: int | None = None) -> torch.Tensor:
        """The pictures at their side, or at a smaller `size`: the same spectrum's lowest frequencies only (the
        band-limited picture, sampled coarser), so early steps can see a cheap small copy of the very picture the
        later full-size steps go on refining."""
        s = self.size if size is None or size >= self.size else size
        if self.param == "maco":
            phase, magnitude = _low_band(self.phase, s), _low_band(self.magnitude, s)
            spec = torch.polar(magnitude.expand_as(phase), phase)
            img = torch.fft.irfftn(spec, s=(s, s), norm="ortho")
            mean = img.mean(dim=(1, 2, 3), keepdim=True)
            std = img.std(dim=(1, 2, 3), keepdim=True)
            img = (img - mean) / (std + 1e-4) * self.gain * torch.exp(self.colour.clamp(-1.0, 1.0))
        else:
            spec = torch.view_as_complex(_low_band(self.spectrum, s, dims=(-3, -2))) * _low_band(self.magnitude, s)
            # ortho scaling: the same coefficients over fewer pixels are size/s times larger; undo it
            img = torch.fft.irfftn(spec, s=(s, s), norm="ortho") * (s / self.size)
        img = torch.einsum("ij,njhw->nihw", _COLOR_SQRT.to(img.device), img)
        return torch.sigmoid(img)  # [images,3,s,s] in (0, 1)


def _low_band(spec: torch.Tensor, s: int, dims: tuple[int, int] = (-2, -1)) -> torch.Tensor:
    """The part of an rfft2 layout (rows: frequencies 0…, then the negative ones; columns 0…side/2) that a picture
    of side `s` holds: its rows 0…⌈s/2⌉−1 and the last ⌊s/2⌋, its columns 0…s/2."""
    rows, cols = dims
    n = spec.shape[rows]
    if s >= n:
        return spec
    top, bottom = spec.narrow(rows, 0, (s + 1) // 2), spec.narrow(rows, n - s // 2, s // 2)
    return torch.cat([top, bottom], dim=rows).narrow(cols, 0, s // 2 + 1)


def transform(img: torch.Tensor, cfg: FantasyConfig, gen: torch.Generator) -> torch.Tensor:
    """`cfg.views` random views of each image, as one affine resampling: zoom, rotation, jitter; then noise."""
    n, views = img.shape[0], max(1, cfg.views)
    k = n * views
    zoom = cfg.zoom[0] + (cfg.zoom[1] - cfg.zoom[0]) * torch.rand(k, generator=gen)
    angle = (torch.rand(k, generator=gen) * 2 - 1) * math.radians(cfg.rotate)
    room = (1 - zoom).clamp(min=0)  # a zoomed-in view may sit anywhere inside the image
    shift = (torch.rand(k, 2, generator=gen) * 2 - 1) * room[:, None]
    shift = shift + (torch.randint(-cfg.jitter, cfg.jitter + 1, (k, 2), generator=gen) * 2 / img.shape[-1])
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    src = img.repeat_interleave(views, dim=0) if views > 1 else img
    grid = F.affine_grid(theta.to(img), [k, 3, img.shape[-2], img.shape[-1]], align_corners=False)
    out = F.grid_sample(src, grid, padding_mode="reflection", align_corners=False)
    if cfg.noise:
        out = out + cfg.noise * torch.randn(out.shape, generator=gen).to(out)
    return out


def input_mapping(name: str, device: str = "cpu") -> Callable[[torch.Tensor], torch.Tensor]:
    """[N,3,H,W] images in [0, 1] → the model's normalised input (same rules as photos), constants made once."""
    pre = get(name).preprocessing
    scale = 255.0 / pre.scale
    grey = torch.tensor([0.299, 0.587, 0.114], device=device)[None, :, None, None]
    mean = torch.tensor(pre.mean, device=device)[None, :, None, None]
    std = torch.tensor(pre.std, device=device)[None, :, None, None]

    def mapping(img01: torch.Tensor) -> torch.Tensor:
        x = img01 * scale
        if pre.grayscale:
            x = (x * grey).sum(1, keepdim=True)
            if pre.invert:
                x = scale - x
        return (x - mean) / std
    return mapping


def to_model_input(name: str, img01: torch.Tensor) -> torch.Tensor:
    """A [N,3,H,W] image in [0, 1] → the model's normalised input (same rules as photos)."""
    return input_mapping(name, str(img01.device))(img01)


def target_node(cfg: FantasyConfig) -> str | None:
    """The node a channel or unit objective reads: the layer, or the input of its rectifier (see preactivation)."""
    if cfg.target == "class":
        return None
    assert cfg.layer is not None, "a channel or unit objective names its layer"
    info = get(cfg.model).layer(cfg.layer)
    if cfg.preactivation and info.kind in RECTIFIERS and info.source:
        return info.source
    return cfg.layer


Objective = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]


def objective(cfg: FantasyConfig, device: str = "cpu") -> Objective:
    """x (normalised inputs, N of them) → (the N values to maximise, the features diversity compares or None)."""
    from cnnviz.networks.probe import extractor

    diverse = cfg.images > 1 and cfg.diversity > 0
    if cfg.target == "class":
        if not diverse:
            model = get(cfg.model).module(device)
            return lambda x: (model(x)[:, cfg.class_index], None)
        # diversity is measured on the last spatial layer (Grad-CAM's), the logit read beside it
        net = get(cfg.model)
        node, out = net.default_cam_layer, net.output_node
        fx = extractor(net, (node, out), device)

        def logit(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
            feats = fx(x)
            return feats[out][:, cfg.class_index], feats[node]
        return logit
    read = target_node(cfg)
    assert read is not None
    fx = extractor(get(cfg.model), (read,), device)

    def channel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        feats = fx(x)[read]
        a = feats[:, cfg.channel]
        if cfg.target == "unit" and cfg.unit is not None:
            h, w = a.shape[1:]
            value = a[:, min(cfg.unit[0], h - 1), min(cfg.unit[1], w - 1)]
        else:
            value = a.mean(dim=(1, 2))
        return value, feats if diverse else None
    return channel


def diversity(features: torch.Tensor, images: int) -> torch.Tensor:
    """Mean cosine similarity of the images' Gram matrices (lucent's diversity): lower = more different."""
    f = features.reshape(images, -1, *features.shape[1:]).mean(1)  # views averaged per image
    flat = f.flatten(2)
    grams = flat @ flat.transpose(1, 2)
    grams = grams / grams.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None]
    sim = (grams[:, None] * grams[None]).sum(dim=(2, 3))
    return (sim.sum() - sim.diagonal().sum()) / (images * (images - 1))


@runs_networks
def activation(cfg: FantasyConfig, img01: torch.Tensor, device: str = "cpu") -> float:
    """The objective's value for an image in [0, 1] (no transforms)."""
    with torch.no_grad():
        return float(objective(cfg, device)(to_model_input(cfg.model, img01.to(device)))[0].mean())


def fantasy(cfg: FantasyConfig, device: str = "cpu",
            on_step: Callable[[int, float, np.ndarray | None], None] | None = None, preview_every: int = 16,
            should_stop: Callable[[], bool] | None = None) -> FantasyResult:
    """Optimise the image(s); `on_step(step, value, preview_or_None)` reports progress, `should_stop()` ends early."""
    gen = torch.Generator().manual_seed(cfg.seed)
    param = SpectrumImage(cfg.size, gen, cfg.param, max(1, cfg.images), cfg.fall_off, cfg.gain).to(device)
    opt = Moments(list(param.parameters()), cfg.learning_rate, nesterov=cfg.param == "maco")
    obj = objective(cfg, device)
    to_input = input_mapping(cfg.model, device)
    history: list[float] = []
    stopped = None
    t0 = time.perf_counter()
    total = cfg.steps + cfg.coarse_steps
    for step in range(1, total + 1):
        if should_stop is not None and should_stop():
            stopped = step - 1
            break
        with running():  # one step at a time: a first visit elsewhere can trace between steps
            opt.zero_grad()
            img = param(cfg.coarse_size if step <= cfg.coarse_steps else None)
            values, feats = obj(to_input(transform(img, cfg, gen)))
            value = values.mean()
            loss = -value
            if feats is not None:
                loss = loss + cfg.diversity * values.detach().abs().mean() * diversity(feats, img.shape[0])
            loss = loss + _penalties(img, cfg)
            loss.backward()
            opt.step()
            history.append(float(value.detach()))
            preview = _to_uint8(param()[0]) if on_step and (step % preview_every == 0 or step == total) else None
        if on_step:
            on_step(step, history[-1], preview)
    with running(), torch.no_grad():
        final = param()
    images = [_to_uint8(im) for im in final]
    return FantasyResult(images[0], history, time.perf_counter() - t0, images[1:], stopped)


class Moments:
    """Adam, or NAdam with `nesterov` — torch.optim's algorithms to the last rounding (a test steps both side by
    side), written out because the first torch.optim step imports torch._dynamo: 2 s of a 10-s command."""

    def __init__(self, params: list[torch.Tensor], lr: float, nesterov: bool, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, momentum_decay: float = 4e-3) -> None:
        self.params, self.lr, self.nesterov, self.betas, self.eps = params, lr, nesterov, betas, eps
        self.momentum_decay, self.t, self.mu_product = momentum_decay, 0, 1.0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        t = self.t
        if self.nesterov:
            mu = b1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
            self.mu_product *= mu
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            if p.grad is None:
                continue
            g = p.grad
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            if self.nesterov:
                denom = v.div(1 - b2**t).sqrt().add_(self.eps)
                p.addcdiv_(g, denom, value=-self.lr * (1.0 - mu) / (1.0 - self.mu_product))
                p.addcdiv_(m, denom, value=-self.lr * mu_next / (1.0 - self.mu_product * mu_next))
            else:
                denom = (v.sqrt() / (1 - b2**t) ** 0.5).add_(self.eps)
                p.addcdiv_(m, denom, value=-self.lr / (1 - b1**t))


def _penalties(img: torch.Tensor, cfg: FantasyConfig) -> torch.Tensor | float:
    loss: torch.Tensor | float = 0.0
    if cfg.l2:
        loss = loss + cfg.l2 * ((img - 0.5) ** 2).mean()
    if cfg.tv:
        loss = loss + cfg.tv * ((img[..., 1:, :] - img[..., :-1, :]).abs().mean()
                                + (img[..., :, 1:] - img[..., :, :-1]).abs().mean())
    if cfg.blur:
        loss = loss + cfg.blur * ((img - F.avg_pool2d(img, 3, 1, 1, count_include_pad=False)) ** 2).mean()
    return loss


def _to_uint8(img: torch.Tensor) -> np.ndarray:
    """One [3,H,W] image in [0, 1] → H×W×3 uint8."""
    return (img.detach().permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)


def image_tensor(img: np.ndarray) -> torch.Tensor:
    """H×W×3 uint8 → [1,3,H,W] in [0, 1]."""
    return torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)[None] / 255


def start_noise(cfg: FantasyConfig) -> torch.Tensor:
    """The image the optimisation starts from (same seed), in [0, 1], [1,3,H,W]."""
    with torch.no_grad():
        return SpectrumImage(cfg.size, torch.Generator().manual_seed(cfg.seed), cfg.param, 1, cfg.fall_off, cfg.gain)()


Made = tuple[int | None, FantasyResult, float | None, float | None]  # (channel or None for a class, result,
# objective at the start, at the end)


def dream(channels: list[int | None], configs: list[FantasyConfig], device: str,
          reporter: Callable[[int, FantasyConfig, Callable[[FantasyResult], None]], Callable | None],
          keep: Callable[[list[Made]], None]) -> list[Made]:
    """Every image of one press of Dream, each with its objective at the start and at the end. `reporter(k, cfg,
    keep_partial)` is image k's on_step (it may hand `keep_partial` the image so far); `keep(items)` receives what
    is done after each image and each partial image: what a Stop leaves."""
    made: list[Made] = []
    for k, (ch, cfg) in enumerate(zip(channels, configs, strict=True)):

        def keep_partial(partial: FantasyResult, done: list[Made] = list(made), ch: int | None = ch) -> None:
            keep([*done, (ch, partial, None, None)])

        res = fantasy(cfg, device=device, on_step=reporter(k, cfg, keep_partial))
        made.append((ch, res, activation(cfg, start_noise(cfg), device), activation(cfg, image_tensor(res.image), device)))
        keep(list(made))
    return made


def dream_key(model: str, configs: list[FantasyConfig], device: str) -> str:
    """The shared-results key of one Dream press: the network, every image's settings and seed, the device."""
    from dataclasses import asdict

    from cnnviz.classroom.results import key_of

    return key_of("fantasy", model, [asdict(c) for c in configs], device)


def made_to_blob(items: list[Made]) -> bytes:
    """Finished images with their curves and objectives, as bytes a class or a hall shares (no pickle)."""
    from cnnviz.classroom.results import pack

    arrays: dict[str, np.ndarray] = {}
    meta = []
    for i, (ch, res, start, end) in enumerate(items):
        arrays[f"image_{i}"] = res.image
        for j, other in enumerate(res.others):
            arrays[f"other_{i}_{j}"] = other
        meta.append({"channel": ch, "history": res.history, "seconds": res.seconds, "others": len(res.others),
                     "start": start, "end": end})
    return pack({"items": meta}, arrays)


def made_from_blob(blob: bytes) -> list[Made]:
    from cnnviz.classroom.results import unpack

    meta, arrays = unpack(blob)
    return [(None if m["channel"] is None else int(m["channel"]), FantasyResult(arrays[f"image_{i}"], [float(v) for v in m["history"]],
                                              float(m["seconds"]),
                                              [arrays[f"other_{i}_{j}"] for j in range(m["others"])]),
             m["start"], m["end"]) for i, m in enumerate(meta["items"])]


LOOK_FOR = {
    "class": "Look for the class's parts — eyes, legs, handles, textures — repeated and scattered in no particular "
             "arrangement: the network needs evidence of the parts, not their layout (Olah et al. 2017 show the "
             "same). A picture a second network also calls this class is a stronger result than one only its own "
             "network likes.",
    "channel": "Look for one texture or motif tiling the whole picture: a channel responds wherever its pattern "
               "appears, so the optimiser paints it everywhere. Early layers give edges and colours, later ones "
               "parts and objects.",
    "unit": "Look at the middle: one unit sees only its receptive field, so only that patch is shaped; outside it "
            "the picture stays smooth noise.",
    "gallery": "Compare the channels side by side: one layer's channels divide the work — colours, orientations, "
               "textures — and a few look alike.",
}


def schedule_note(coarse_steps: int, coarse_size: int, size: int) -> str | None:
    """What happens where the picture switches from its coarse to its full size (the curve's dip), or None."""
    if not coarse_steps or coarse_size == size:
        return None
    return (f"The dashed line: after step {coarse_steps} the picture grows from {coarse_size} to {size} px — the same "
            f"picture, now reaching the network {size / coarse_size:.2f}× larger and with the fine detail the small "
            "copy left out. What the network found at the small size sits at a new scale, so the objective drops, "
            "then climbs again as the optimiser shapes the full-size picture.")


def second_opinion(image: np.ndarray, own: str, top: int = 3, device: str = "cpu") -> tuple[str, list[tuple[str, float]]]:
    """What another offline ImageNet network (MobileNetV2, or EfficientNet-Lite0 for MobileNetV2's pictures) calls
    the picture: its top classes and probabilities."""
    from cnnviz.networks import probe
    from cnnviz.networks.network import get

    other = get("efficientnet_lite0" if own == "mobilenet_v2" else "mobilenet_v2")
    preds = probe.predict(other, other.preprocess(np.asarray(image, dtype=np.uint8)), top=top, device=device)
    return other.title, [(p.label, p.probability) for p in preds]
