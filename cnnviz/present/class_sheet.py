""""Where does this class live?" as one 1920×1080 PNG: every method's map on one photo, one colour map (each map
scaled on its own), the top-5.

Made for a slide: the photo and the network's top-5 on the left (the explained class marked),
the maps in a grid sized to fill the rest, each over the same photo with the same colour map and
the same scale (0 → the map's own 99.5th percentile, as the page shows them), one colour bar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from cnnviz.present.colours import to_rgb
from cnnviz.present.overlay import as_rgb, overlay
from cnnviz.present.render import SLIDE, load_font

MARGIN = 40
LEFT = 460  # the photo and the top-5
TITLE_H = 110
CAPTION_H = 40


def grid_shape(n: int, width: int, height: int) -> tuple[int, int, int]:
    """(columns, rows, tile side) that show n square tiles, each with a caption below, as large as possible."""
    best = (1, n, 0)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        side = int(min(width / cols, height / rows - CAPTION_H)) - 12
        if side > best[2]:
            best = (cols, rows, side)
    return best


def class_sheet(photo: np.ndarray, maps: dict[str, np.ndarray], titles: dict[str, str], target: str,
                predictions: Sequence[tuple[str, float]], network: str, cmap: str = "Viridis", alpha: float = 0.6,
                footer: str = "CNN Explorer") -> Image.Image:
    """The slide. `maps` are display maps in [0, 1] (attribution.display_map), `predictions` (label, probability)."""
    w, h = SLIDE
    img = Image.new("RGB", SLIDE, (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.text((MARGIN, 30), f"Where does “{target}” live?", fill=(0, 0, 0), font=load_font(56))
    d.text((MARGIN, 92), f"{network} · {len(maps)} attribution methods on one photo", fill=(60, 60, 60),
           font=load_font(26))
    top = TITLE_H + 30
    side = LEFT - MARGIN
    photo_img = Image.fromarray(as_rgb(photo)).resize((side, side), Image.Resampling.LANCZOS)
    img.paste(photo_img, (MARGIN, top))
    y = top + side + 24
    d.text((MARGIN, y), "The network's top-5", fill=(0, 0, 0), font=load_font(30))
    y += 46
    label_font = load_font(24)
    for label, prob in list(predictions)[:5]:
        mark = label == target
        bar = int((side - 10) * max(0.0, min(1.0, prob)))
        d.rectangle((MARGIN, y + 30, MARGIN + max(bar, 2), y + 40), fill=(213, 94, 0) if mark else (120, 120, 120))
        d.text((MARGIN, y), f"{'▶ ' if mark else ''}{label}  {100 * prob:.1f} %", fill=(0, 0, 0), font=label_font)
        y += 52
    if target not in [p[0] for p in predictions][:5]:
        d.text((MARGIN, y), f"▶ {target}: not in the top-5", fill=(213, 94, 0), font=label_font)
    x0 = LEFT + MARGIN
    area_w, area_h = w - x0 - MARGIN, h - top - 110
    cols, rows, tile = grid_shape(max(1, len(maps)), area_w, area_h)
    title_font = load_font(26)
    for k, (method, heat) in enumerate(maps.items()):
        r, c = divmod(k, cols)
        tx, ty = x0 + c * (area_w // cols), top + r * (area_h // rows)
        shown = Image.fromarray(overlay(photo, heat, alpha, cmap)).resize((tile, tile), Image.Resampling.LANCZOS)
        img.paste(shown, (tx, ty))
        d.text((tx, ty + tile + 6), titles.get(method, method), fill=(0, 0, 0), font=title_font)
    bar_w, bar_y = min(600, area_w), h - 80
    ramp = to_rgb(np.repeat(np.linspace(0, 1, bar_w)[None, :], 22, axis=0), cmap, 0.0, 1.0).astype(np.uint8)
    img.paste(Image.fromarray(ramp), (x0, bar_y))
    d.text((x0 + bar_w + 16, bar_y - 4), "0 → the map's 99.5th percentile (the same scale for every map)",
           fill=(0, 0, 0), font=load_font(22))
    d.text((w - MARGIN, h - 24), footer, fill=(80, 80, 80), font=load_font(22), anchor="rs")
    return img
