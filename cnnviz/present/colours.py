"""The one place that decides colours and sizes, for screen and for projectors.

Diverging (zero-centred) maps for signed values such as kernels and gradients,
sequential maps for non-negative values such as activations; both colour-blind-safe.
Presentation mode raises type size and line widths and uses higher-contrast maps; it
never changes layouts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Style:
    presentation: bool
    sequential: str
    diverging: str
    font_size: int
    cell_font_size: int
    grid_gap: int
    outline_width: float
    window_colour: str  # the sliding window / current selection
    target_colour: str  # the output cell being computed
    feed_colour: str  # cells an input cell feeds
    padding_colour: str
    padding_text: str
    text_colour: str
    background: str


NORMAL = Style(False, "Viridis", "RdBu", 14, 13, 2, 3.0, "#E69F00", "#D55E00", "#56B4E9",
               "#D9D9D9", "#555555", "#222222", "#FFFFFF")
PRESENTATION = Style(True, "Cividis", "PuOr", 22, 20, 4, 6.0, "#E69F00", "#D55E00", "#009E73",
                     "#BDBDBD", "#000000", "#000000", "#FFFFFF")


def style(presentation: bool = False) -> Style:
    return PRESENTATION if presentation else NORMAL


def is_signed(values: np.ndarray) -> bool:
    v = np.asarray(values)
    return bool(v.size and np.nanmin(v) < 0 < np.nanmax(v))


def colour_range(values: np.ndarray, signed: bool | None = None) -> tuple[float, float, str]:
    """(zmin, zmax, kind): symmetric around 0 for signed data so 0 is the neutral colour."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)] if v.size else v
    if v.size == 0:
        return 0.0, 1.0, "sequential"
    signed = is_signed(v) if signed is None else signed
    if signed:
        m = float(np.max(np.abs(v))) or 1.0
        return -m, m, "diverging"
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        hi = lo + 1.0
    return lo, hi, "sequential"


# matplotlib-free RGB lookup for PNG/GIF exports, sampled from the same named maps.
_VIRIDIS = ["#440154", "#482878", "#3E4989", "#31688E", "#26828E", "#1F9E89", "#35B779", "#6DCD59", "#B4DE2C", "#FDE725"]
_CIVIDIS = ["#00224E", "#123570", "#3B496C", "#575D6D", "#707173", "#8A8779", "#A69D75", "#C4B56C", "#E4CF5B", "#FEE838"]
_RDBU = ["#053061", "#2166AC", "#4393C3", "#92C5DE", "#D1E5F0", "#F7F7F7", "#FDDBC7", "#F4A582", "#D6604D", "#B2182B", "#67001F"]
_PUOR = ["#2D004B", "#542788", "#8073AC", "#B2ABD2", "#D8DAEB", "#F7F7F7", "#FEE0B6", "#FDB863", "#E08214", "#B35806", "#7F3B08"]
_STOPS = {"Viridis": _VIRIDIS, "Cividis": _CIVIDIS, "RdBu": _RDBU, "PuOr": _PUOR}


def _hex(c: str) -> np.ndarray:
    return np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def to_rgb(values: np.ndarray, name: str, zmin: float, zmax: float) -> np.ndarray:
    """Map values to uint8 RGB with the named map (RdBu/PuOr run blue→red like plotly's reversed)."""
    stops = np.stack([_hex(c) for c in _STOPS[name]])
    t = np.clip((np.asarray(values, dtype=float) - zmin) / ((zmax - zmin) or 1.0), 0, 1)
    pos = t * (len(stops) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(stops) - 1)
    frac = (pos - lo)[..., None]
    return (stops[lo] * (1 - frac) + stops[hi] * frac).round().astype(np.uint8)


def plotly_scale(name: str) -> list[list]:
    """The named map as an explicit plotly colourscale (negative = blue / purple, positive = red / orange).

    Explicit stops rather than plotly's names: the PNG/GIF exports use the same stops, and
    Streamlit's chart theme cannot substitute its own scale.
    """
    stops = _STOPS[name]
    return [[i / (len(stops) - 1), c] for i, c in enumerate(stops)]


def legend_bar(values: np.ndarray, scale: str, sequential: str, diverging: str, width: int = 320,
               height: int = 14) -> tuple[np.ndarray, str]:
    """A colour bar image for a montage or heat map of `values`, and the sentence that reads it.

    One policy everywhere: values with both signs on the diverging map centred at 0 (white);
    values of one sign on the sequential map; per channel (each tile its own range) or per layer.
    """
    v = np.asarray(values, dtype=float)
    signed = is_signed(v)
    lo, hi, kind = colour_range(v, signed)
    name = diverging if kind == "diverging" else sequential
    bar = np.repeat(to_rgb(np.linspace(lo, hi, width)[None, :], name, lo, hi), height, axis=0)
    from cnnviz.present.number_format import fmt

    if scale == "channel":
        text = (f"{name}, diverging: each channel from −max|value| (left) through 0 (white) to +max|value| (right) of "
                "that channel" if signed else
                f"{name}, sequential: each channel from its own minimum (left) to its own maximum (right)")
    else:
        text = (f"{name}, diverging, one scale for the layer: {fmt(lo)} (left) · 0 (white) · {fmt(hi)} (right)"
                if signed else f"{name}, sequential, one scale for the layer: {fmt(lo)} (left) → {fmt(hi)} (right)")
    return bar.astype(np.uint8), text


def rgb_on_scale(values: np.ndarray, scale: list[list], zmin: float, zmax: float) -> np.ndarray:
    """The RGB (float 0–255) plotly paints for each value on an explicit colourscale (linear between stops)."""
    pos = np.array([float(p) for p, _ in scale])
    cols = np.stack([_hex(c) for _, c in scale])
    t = np.clip((np.asarray(values, dtype=float) - zmin) / ((zmax - zmin) or 1.0), 0, 1)
    return np.stack([np.interp(t, pos, cols[:, k]) for k in range(3)], axis=-1)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB colours (0–255, last axis RGB)."""
    c = np.asarray(rgb, dtype=float) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def black_ink(rgb: np.ndarray) -> np.ndarray:
    """Whether black (else white) text contrasts more with each colour: the better of the two is always ≥ 4.58 : 1."""
    return contrast_ratio(rgb, np.zeros(3)) >= contrast_ratio(rgb, np.full(3, 255.0))


def contrast_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """WCAG 2 contrast ratio between colours a and b (1 to 21)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)
