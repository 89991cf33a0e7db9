"""Drawing on the picture a network sees: receptive-field boxes and heat-map overlays."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from cnnviz.present.colours import to_rgb


def as_rgb(img: np.ndarray) -> np.ndarray:
    a = np.asarray(img, dtype=np.uint8)
    return np.repeat(a[..., None], 3, axis=-1) if a.ndim == 2 else a


def draw_box(img: np.ndarray, box: tuple[float, float, float, float], colour: str = "#D55E00",
             width: int = 3, scale: int = 1) -> np.ndarray:
    """Outline input pixels top..bottom × left..right (inclusive) on an (optionally enlarged) image."""
    base = Image.fromarray(as_rgb(img))
    if scale > 1:
        base = base.resize((base.width * scale, base.height * scale), Image.Resampling.NEAREST)
    top, left, bottom, right = box
    d = ImageDraw.Draw(base)
    d.rectangle((left * scale, top * scale, (right + 1) * scale - 1, (bottom + 1) * scale - 1), outline=colour,
                width=width)
    return np.asarray(base)


def overlay(img: np.ndarray, heat: np.ndarray, alpha: float = 0.5, cmap: str = "Viridis",
            signed: bool = False) -> np.ndarray:
    """Blend a heat map (resized to the image) over it; alpha 0 shows only the photo."""
    base = as_rgb(img).astype(np.float32)
    h, w = base.shape[:2]
    heat = np.asarray(heat, dtype=np.float32)
    if heat.shape != (h, w):
        heat = np.asarray(Image.fromarray(heat).resize((w, h), Image.Resampling.BILINEAR))
    if signed:
        m = float(np.abs(heat).max()) or 1.0
        coloured = to_rgb(heat, cmap, -m, m)
        weight: np.ndarray = np.full((h, w, 1), alpha, dtype=np.float32)
    else:
        lo, hi = float(heat.min()), float(heat.max())
        coloured = to_rgb(heat, cmap, lo, hi if hi > lo else lo + 1)
        # strong where the heat is: the photo stays visible where the map is ~0
        weight = alpha * np.sqrt(np.clip((heat - lo) / ((hi - lo) or 1.0), 0, 1))[..., None]
    return (base * (1 - weight) + coloured.astype(np.float32) * weight).round().astype(np.uint8)


def strongest_place(heat: np.ndarray) -> str:
    """Where a map is strongest, in words a screen reader can say: 'strongest in the upper left (row 3 of 14,
    column 2 of 14)' — the text alternative of a heat map drawn over a picture."""
    a = np.abs(np.nan_to_num(np.asarray(heat, dtype=float)))
    if a.ndim != 2 or not a.size or not a.max() > 0:
        return "no part stands out (the map is flat)"
    r, c = np.unravel_index(int(np.argmax(a)), a.shape)
    h, w = a.shape
    vertical = ("upper", "middle", "lower")[min(2, 3 * r // h)]
    horizontal = ("left", "centre", "right")[min(2, 3 * c // w)]
    where = "centre" if (vertical, horizontal) == ("middle", "centre") else f"{vertical} {horizontal}"
    return f"strongest in the {where} (row {r + 1} of {h}, column {c + 1} of {w})"
