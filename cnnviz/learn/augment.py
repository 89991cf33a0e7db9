"""Data augmentation you can see: the transforms the notes name, applied to any photo with their parameters said.

Each op takes an RGB uint8 photo and a numpy generator and returns the augmented photo and its parameters; sample k
of a seed draws from `default_rng([seed, k])`, so the same seed gives the same bytes. AlexNet's two recipes
(Krizhevsky et al. 2012, §4.1): random 224×224 crops of the photo resized to a short side of 256, mirrored half the
time; and PCA colour augmentation — the eigenvectors pᵢ and eigenvalues λᵢ of the 3×3 covariance of the photo's RGB
values (on the 0–1 scale), and Σᵢ αᵢλᵢpᵢ with αᵢ ~ N(0, 0.1) added to every pixel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from PIL import Image, ImageEnhance

from cnnviz.errors import CnnvizError

Params = dict[str, object]
MAX_SAMPLES = 64
ALEXNET_SIDE, ALEXNET_CROP = 256, 224
PCA_SIGMA = 0.1


def _pil(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(np.asarray(rgb, dtype=np.uint8)).convert("RGB")


def rotate(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Params]:
    """Turned by −30…30° about the centre (bilinear), the corners black."""
    angle = round(float(rng.uniform(-30, 30)), 1)
    return np.asarray(_pil(rgb).rotate(angle, Image.Resampling.BILINEAR)), {"angle": angle}


def flip(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Params]:
    """The exact mirror (left ↔ right)."""
    return np.ascontiguousarray(np.asarray(rgb)[:, ::-1]), {"mirrored": True}


def zoom(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Params]:
    """A centred window 1/scale of the photo's size, enlarged back to its size (scale 1.0–1.5)."""
    scale = round(float(rng.uniform(1.0, 1.5)), 2)
    img = _pil(rgb)
    w, h = img.size
    cw, ch = max(1, round(w / scale)), max(1, round(h / scale))
    left, top = (w - cw) // 2, (h - ch) // 2
    return np.asarray(img.crop((left, top, left + cw, top + ch)).resize((w, h), Image.Resampling.BILINEAR)), \
        {"scale": scale}


def jitter(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Params]:
    """Brightness, contrast and saturation each scaled by a factor 0.6–1.4 (1: unchanged), in that order."""
    factors = {k: round(float(rng.uniform(0.6, 1.4)), 2) for k in ("brightness", "contrast", "saturation")}
    img = _pil(rgb)
    img = ImageEnhance.Brightness(img).enhance(factors["brightness"])
    img = ImageEnhance.Contrast(img).enhance(factors["contrast"])
    img = ImageEnhance.Color(img).enhance(factors["saturation"])
    return np.asarray(img), dict(factors)


def translate(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Params]:
    """Moved by up to 15 % of its size each way; the cells moved in are black."""
    h, w = np.shape(rgb)[:2]
    dx, dy = int(rng.integers(-(w * 15 // 100), w * 15 // 100 + 1)), int(rng.integers(-(h * 15 // 100), h * 15 // 100 + 1))
    out = np.zeros_like(np.asarray(rgb))
    src = np.asarray(rgb)[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    out[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
    return out, {"dx": dx, "dy": dy}


def crop(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Params]:
    """AlexNet's recipe: the short side resized to 256 (bilinear), a random 224×224 crop, mirrored half the time."""
    img = _pil(rgb)
    w, h = img.size
    s = ALEXNET_SIDE / min(w, h)
    img = img.resize((max(ALEXNET_SIDE, round(w * s)), max(ALEXNET_SIDE, round(h * s))), Image.Resampling.BILINEAR)
    top = int(rng.integers(0, img.size[1] - ALEXNET_CROP + 1))
    left = int(rng.integers(0, img.size[0] - ALEXNET_CROP + 1))
    mirrored = bool(rng.random() < 0.5)
    out = np.asarray(img.crop((left, top, left + ALEXNET_CROP, top + ALEXNET_CROP)))
    return (np.ascontiguousarray(out[:, ::-1]) if mirrored else out), {"top": top, "left": left, "mirrored": mirrored}


@dataclass(frozen=True)
class ColourPCA:
    """The photo's RGB covariance (0–1 scale) in principal components: eigenvalues (largest first) and eigenvectors
    (as columns)."""

    eigenvalues: np.ndarray  # [3]
    eigenvectors: np.ndarray  # [3,3], column i is pᵢ

    @classmethod
    def of(cls, rgb: np.ndarray) -> ColourPCA:
        pixels = np.asarray(rgb, dtype=np.float64).reshape(-1, 3) / 255.0
        values, vectors = np.linalg.eigh(np.cov(pixels, rowvar=False))
        order = np.argsort(values)[::-1]
        return cls(values[order], vectors[:, order])

    def offset(self, alpha: np.ndarray) -> np.ndarray:
        """Σᵢ αᵢλᵢpᵢ on the 0–255 scale."""
        return 255.0 * (self.eigenvectors @ (np.asarray(alpha) * self.eigenvalues))


def pca_colour(rgb: np.ndarray, rng: np.random.Generator, pca: ColourPCA | None = None) -> tuple[np.ndarray, Params]:
    """AlexNet's PCA colour augmentation: one RGB offset added to every pixel (rounded, clipped to 0–255)."""
    pca = pca or ColourPCA.of(rgb)
    alpha = rng.normal(0.0, PCA_SIGMA, 3)
    off = pca.offset(alpha)
    out = np.clip(np.rint(np.asarray(rgb, dtype=np.float64) + off), 0, 255).astype(np.uint8)
    return out, {"alpha": alpha.tolist(), "eigenvalues": pca.eigenvalues.tolist(),
                 "eigenvectors": pca.eigenvectors.tolist(), "offset_rgb": off.tolist()}


Op = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, Params]]
OPS: dict[str, Op] = {"rotate": rotate, "flip": flip, "zoom": zoom, "jitter": jitter, "translate": translate,
                      "crop": crop, "pca": pca_colour}
TITLES = {"rotate": "Rotation", "flip": "Horizontal flip", "zoom": "Zoom", "jitter": "Colour jitter",
          "translate": "Translation", "crop": "AlexNet's random crop", "pca": "AlexNet's PCA colour"}


def samples(rgb: np.ndarray, op: str, n: int = 16, seed: int = 0) -> list[tuple[np.ndarray, Params]]:
    """`n` augmented copies of the photo by `op`, sample k drawn from default_rng([seed, k])."""
    if op not in OPS:
        raise CnnvizError(f"augment with one of {', '.join(OPS)} (got '{op}')")
    if not 1 <= n <= MAX_SAMPLES:
        raise CnnvizError(f"make 1–{MAX_SAMPLES} samples (got {n})")
    if np.ndim(rgb) != 3 or np.shape(rgb)[2] != 3:
        raise CnnvizError("augment an RGB photo (height × width × 3)")
    if op == "pca":
        pca = ColourPCA.of(rgb)  # once for all samples
        return [pca_colour(rgb, np.random.default_rng([seed, k]), pca) for k in range(n)]
    return [OPS[op](rgb, np.random.default_rng([seed, k])) for k in range(n)]


def describe(op: str, params: Params) -> str:
    """One sample's parameters in a few words (the gallery's captions)."""
    if op == "pca":
        r, g, b = (float(v) for v in cast(list, params["offset_rgb"]))
        return f"RGB {r:+.1f} {g:+.1f} {b:+.1f}"
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in params.items())


ABOUT = {
    "rotate": "Each sample turned by an angle drawn from −30…30° (bilinear); the corners that come in are black.",
    "flip": "The exact mirror, left ↔ right — right for photos of most things, wrong for digits and text.",
    "zoom": "A centred window 1/scale of the photo's size, enlarged back (scale drawn from 1.0–1.5).",
    "jitter": "Brightness, contrast and saturation each scaled by a factor drawn from 0.6–1.4.",
    "translate": "Moved by up to 15 % of its size each way; what comes in is black.",
    "crop": "AlexNet (2012): the short side resized to 256, a random 224×224 window, mirrored half the time — 2,048 "
            "different crops of one photo, which is how a 60-million-weight network trained on 1.2 million photos "
            "without memorising them.",
    "pca": "AlexNet (2012): one colour offset Σᵢ αᵢλᵢpᵢ (αᵢ ~ N(0, 0.1)) added to every pixel, along the photo's own "
           "principal colour directions — it mimics a change in the light's colour and intensity.",
}


def pca_sentence(params: Params) -> str:
    """How big AlexNet's colour change is on this photo, in levels of 255."""
    off = np.abs(np.asarray(cast(list, params["offset_rgb"]), dtype=float))
    return (f"On this photo the first sample moves each colour by at most {off.max():.1f} of 255 levels: AlexNet's "
            "colour augmentation is subtle by design (αᵢ has spread 0.1 and the photo's λᵢ are variances on the "
            "0–1 scale) and invisible to the eye — yet Krizhevsky et al. report it cut AlexNet's top-1 error by over 1 %.")


SHOW_GAIN = 40  # how much the page enlarges a PCA colour shift to show its direction


def exaggerated(rgb: np.ndarray, params: Params, gain: float) -> np.ndarray:
    """The photo with `gain` × a PCA sample's offset added (for the eye only: the augmentation adds it once)."""
    off = gain * np.asarray(cast(list, params["offset_rgb"]), dtype=float)
    return np.clip(np.rint(np.asarray(rgb, dtype=np.float64) + off), 0, 255).astype(np.uint8)
