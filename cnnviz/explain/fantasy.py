"""Fantasy images (activation maximisation): inputs optimised to excite a class, a channel or a unit.

The image is parameterised in Fourier space with a 1/f spectrum scaling and decorrelated
colours (the recipe of Olah et al. 2017 / lucent), squashed by a sigmoid; each step sees
it through random robustness transforms (pad, jitter, scale, rotation) so the optimum is
a picture rather than adversarial noise. Everything random comes from one
torch.Generator: the same seed gives the same image. The model is read through a
feature-extraction graph that shares its frozen parameters — no hooks, nothing modified.
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


@dataclass(frozen=True)
class FantasyConfig:
    model: str = "efficientnet_lite0"
    target: str = "channel"  # "class" | "channel" | "unit"
    layer: str | None = None
    channel: int = 0
    unit: tuple[int, int] | None = None
    class_index: int = 0
    size: int = 128
    steps: int = 128
    lr: float = 0.05
    seed: int = 0
    jitter: int = 8
    scale: tuple[float, ...] = (0.9, 0.95, 1.0, 1.05, 1.1)
    rotate: float = 10.0  # degrees, ±
    l2: float = 0.0
    tv: float = 0.0
    blur: float = 0.0  # penalises the difference between the image and its 3×3 blur (high frequencies)
    decay: float = 1.0  # spectrum ∝ 1/f^decay


@dataclass
class FantasyResult:
    image: np.ndarray  # H×W×3 uint8
    history: list[float] = field(default_factory=list)  # objective per step
    seconds: float = 0.0


class FourierImage(torch.nn.Module):
    def __init__(self, size: int, gen: torch.Generator, decay: float = 1.0, sd: float = 0.01):
        super().__init__()
        fy = torch.fft.fftfreq(size)[:, None]
        fx = torch.fft.rfftfreq(size)[None, :]
        freqs = torch.sqrt(fx**2 + fy**2)
        self.scale: torch.Tensor
        self.register_buffer("scale", 1.0 / torch.maximum(freqs, torch.tensor(1.0 / size)) ** decay)
        self.spectrum = torch.nn.Parameter(torch.randn(3, size, size // 2 + 1, 2, generator=gen) * sd)
        self.size = size

    def forward(self) -> torch.Tensor:
        spec = torch.view_as_complex(self.spectrum) * self.scale
        img = torch.fft.irfftn(spec, s=(self.size, self.size), norm="ortho")  # [3,H,W], decorrelated colours
        img = torch.einsum("ij,jhw->ihw", _COLOR_SQRT.to(img.device), img)
        return torch.sigmoid(img)[None]  # [1,3,H,W] in (0, 1)


def _transform(img: torch.Tensor, cfg: FantasyConfig, gen: torch.Generator) -> torch.Tensor:
    if cfg.jitter:
        img = F.pad(img, (cfg.jitter,) * 4, mode="constant", value=0.5)
        dy, dx = (int(v) for v in torch.randint(-cfg.jitter, cfg.jitter + 1, (2,), generator=gen))
        img = torch.roll(img, shifts=(dy, dx), dims=(2, 3))
    s = cfg.scale[int(torch.randint(len(cfg.scale), (1,), generator=gen))] if cfg.scale else 1.0
    angle = (float(torch.rand(1, generator=gen)) * 2 - 1) * math.radians(cfg.rotate)
    if s != 1.0 or angle:
        cos, sin = math.cos(angle) / s, math.sin(angle) / s
        theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=img.dtype, device=img.device)[None]
        grid = F.affine_grid(theta, list(img.shape), align_corners=False)
        img = F.grid_sample(img, grid, padding_mode="reflection", align_corners=False)
    return img


def to_model_input(name: str, img01: torch.Tensor) -> torch.Tensor:
    """A [1,3,H,W] image in [0, 1] → the model's normalised input (same rules as photos)."""
    pre = get(name).preprocessing
    x = img01 * 255.0 / pre.scale
    if pre.grayscale:
        x = (x * torch.tensor([0.299, 0.587, 0.114], device=x.device)[None, :, None, None]).sum(1, keepdim=True)
        if pre.invert:
            x = 255.0 / pre.scale - x
    mean = torch.tensor(pre.mean, device=x.device)[None, :, None, None]
    std = torch.tensor(pre.std, device=x.device)[None, :, None, None]
    return (x - mean) / std


def objective(cfg: FantasyConfig, device: str = "cpu") -> Callable[[torch.Tensor], torch.Tensor]:
    """x (normalised input) → the scalar to maximise."""
    if cfg.target == "class":
        model = get(cfg.model).module(device)
        return lambda x: model(x)[0, cfg.class_index]
    from cnnviz.networks.inspect import extractor

    assert cfg.layer is not None, "a channel or unit objective names its layer"
    fx = extractor(cfg.model, (cfg.layer,), device)

    def channel(x: torch.Tensor) -> torch.Tensor:
        a = fx(x)[cfg.layer][0, cfg.channel]
        if cfg.target == "unit" and cfg.unit is not None:
            h, w = a.shape
            return a[min(cfg.unit[0], h - 1), min(cfg.unit[1], w - 1)]
        return a.mean()
    return channel


@runs_networks
def activation(cfg: FantasyConfig, img01: torch.Tensor, device: str = "cpu") -> float:
    """The objective's value for an image in [0, 1] (no transforms)."""
    with torch.no_grad():
        return float(objective(cfg, device)(to_model_input(cfg.model, img01.to(device))))


def fantasy(cfg: FantasyConfig, device: str = "cpu",
            on_step: Callable[[int, float, np.ndarray | None], None] | None = None, preview_every: int = 16
            ) -> FantasyResult:
    """Optimise the image; `on_step(step, value, preview_or_None)` reports progress."""
    gen = torch.Generator().manual_seed(cfg.seed)
    param = FourierImage(cfg.size, gen, cfg.decay).to(device)
    opt = torch.optim.Adam(param.parameters(), lr=cfg.lr)
    obj = objective(cfg, device)
    history = []
    t0 = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        with running():  # one step at a time: a first visit elsewhere can trace between steps
            opt.zero_grad()
            img = param()
            value = obj(to_model_input(cfg.model, _transform(img, cfg, gen)))
            loss = -value
            if cfg.l2:
                loss = loss + cfg.l2 * ((img - 0.5) ** 2).mean()
            if cfg.tv:
                loss = loss + cfg.tv * ((img[..., 1:, :] - img[..., :-1, :]).abs().mean()
                                        + (img[..., :, 1:] - img[..., :, :-1]).abs().mean())
            if cfg.blur:
                loss = loss + cfg.blur * ((img - F.avg_pool2d(img, 3, 1, 1, count_include_pad=False)) ** 2).mean()
            loss.backward()
            opt.step()
            history.append(float(value.detach()))
            preview = _to_uint8(param()) if on_step and (step % preview_every == 0 or step == cfg.steps) else None
        if on_step:
            on_step(step, history[-1], preview)
    with running(), torch.no_grad():
        final = param()
    return FantasyResult(_to_uint8(final), history, time.perf_counter() - t0)


def _to_uint8(img: torch.Tensor) -> np.ndarray:
    return (img.detach()[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)


def image_tensor(img: np.ndarray) -> torch.Tensor:
    """H×W×3 uint8 → [1,3,H,W] in [0, 1]."""
    return torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)[None] / 255


def start_noise(cfg: FantasyConfig) -> torch.Tensor:
    """The image the optimisation starts from (same seed), in [0, 1]."""
    with torch.no_grad():
        return FourierImage(cfg.size, torch.Generator().manual_seed(cfg.seed), cfg.decay)()
