"""A kernel applied to a real photo with the grid's stride, padding and dilation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.activations import apply_activation
from cnnviz.grids.conv import ConvConfig, correlate
from cnnviz.grids.padding import pad_grid, resolve_padding
from cnnviz.images import resize_max, to_gray
from cnnviz.present.colours import Style, colour_range, to_rgb

MAX_PHOTO_SIDE = 400


@dataclass
class FeatureMap:
    photo: np.ndarray  # the RGB photo as filtered (resized)
    values: np.ndarray  # [OH, OW] float
    image: np.ndarray  # [OH, OW, 3] uint8, coloured with the page's colour policy
    signed: bool


def filter_photo(rgb: np.ndarray, kernel: np.ndarray, config: ConvConfig, st: Style,
                 max_side: int = MAX_PHOTO_SIDE) -> FeatureMap:
    """Luminance of the (shrunk) photo cross-correlated with `kernel` (flipped if config.flip)."""
    photo = resize_max(np.asarray(rgb), max_side)
    gray = to_gray(photo)[None]
    k = np.asarray(kernel, dtype=np.float64)
    if config.flip:
        k = k[::-1, ::-1]
    kh, kw = k.shape
    pad = resolve_padding(config.padding, gray.shape[1:], (kh, kw), config.stride, config.dilation)
    padded = pad_grid(gray, pad, config.pad_mode)
    if config.dilation[0] * (kh - 1) + 1 > padded.shape[1] or config.dilation[1] * (kw - 1) + 1 > padded.shape[2]:
        raise GridError("the kernel is larger than the photo")
    out = correlate(padded, k[None, None].copy(), config.stride, config.dilation)[0]
    out = apply_activation(config.activation, out, config.leaky_slope)
    zmin, zmax, kind = colour_range(out)
    # Signed responses (edges) on the diverging map, non-negative ones (blurs) in grey like a photo.
    image = to_rgb(out, st.diverging, zmin, zmax) if kind == "diverging" else _grey(out, zmin, zmax)
    return FeatureMap(photo, out, image, kind == "diverging")


def _grey(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    g = (np.clip((v - lo) / ((hi - lo) or 1.0), 0, 1) * 255).round().astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)
