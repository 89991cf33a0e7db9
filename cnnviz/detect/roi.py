"""RoI pooling (Fast R-CNN) and RoI align (Mask R-CNN) on a feature map, every bin written out.

The arithmetic is torchvision.ops' (CPU kernels) exactly: RoI pooling rounds the box onto
the feature-map grid and takes the maximum of each bin (an empty bin gives 0); RoI align
keeps fractional coordinates and averages bilinear samples, sampling_ratio × sampling_ratio
per bin (adaptive: ⌈bin size⌉ when −1), with an optional −0.5 pixel shift ("aligned").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnviz.detect.boxes import check_boxes
from cnnviz.errors import CnnvizError


def _round_half_away(v: float) -> int:
    """C's round(): halves go away from zero (Python's round() goes to even)."""
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


def check_features(x) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise CnnvizError("the feature map must be a C×H×W array of numbers") from None
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or min(a.shape) == 0:
        raise CnnvizError("the feature map must be C×H×W (or H×W for one channel)")
    if not np.isfinite(a).all():
        raise CnnvizError("the feature map has a value that is not a finite number")
    return a


def _check_output(output_size: tuple[int, int], spatial_scale: float) -> None:
    if min(output_size) < 1:
        raise CnnvizError("the output size must be at least 1×1")
    if not (spatial_scale > 0 and math.isfinite(spatial_scale)):
        raise CnnvizError(f"the spatial scale must be a positive number (got {spatial_scale})")


@dataclass(frozen=True)
class PoolBin:
    row: int
    col: int
    rows: tuple[int, int]  # feature-map rows [start, end) of the bin
    cols: tuple[int, int]
    value: float  # per channel 0 (the one shown)
    argmax: tuple[int, int] | None  # (row, col) of the maximum, None for an empty bin


@dataclass
class RoiPoolResult:
    box_on_map: tuple[int, int, int, int]  # x1, y1, x2, y2 after scaling and rounding (inclusive)
    bin_size: tuple[float, float]  # rows, cols per bin (fractional)
    bins: list[PoolBin]
    output: np.ndarray  # C×PH×PW


def roi_pool_one(x, box, output_size: tuple[int, int], spatial_scale: float = 1.0) -> RoiPoolResult:
    fm = check_features(x)
    b = check_boxes(box, "box")[0]
    _check_output(output_size, spatial_scale)
    c, height, width = fm.shape
    ph_n, pw_n = output_size
    x1, y1 = _round_half_away(b[0] * spatial_scale), _round_half_away(b[1] * spatial_scale)
    x2, y2 = _round_half_away(b[2] * spatial_scale), _round_half_away(b[3] * spatial_scale)
    roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
    bh, bw = roi_h / ph_n, roi_w / pw_n
    out = np.zeros((c, ph_n, pw_n))
    bins = []
    for ph in range(ph_n):
        for pw in range(pw_n):
            hs = min(max(math.floor(ph * bh) + y1, 0), height)
            he = min(max(math.ceil((ph + 1) * bh) + y1, 0), height)
            ws = min(max(math.floor(pw * bw) + x1, 0), width)
            we = min(max(math.ceil((pw + 1) * bw) + x1, 0), width)
            empty = he <= hs or we <= ws
            arg = None
            if not empty:
                region = fm[:, hs:he, ws:we]
                out[:, ph, pw] = region.reshape(c, -1).max(axis=1)
                k = int(np.argmax(region[0]))
                arg = (hs + k // (we - ws), ws + k % (we - ws))
            bins.append(PoolBin(ph, pw, (hs, he), (ws, we), float(out[0, ph, pw]), arg))
    return RoiPoolResult((x1, y1, x2, y2), (bh, bw), bins, out)


def roi_pool(x, boxes, output_size: tuple[int, int], spatial_scale: float = 1.0) -> np.ndarray:
    """K×C×PH×PW, as torchvision.ops.roi_pool."""
    b = check_boxes(boxes)
    return np.stack([roi_pool_one(x, bx, output_size, spatial_scale).output for bx in b])


@dataclass(frozen=True)
class Sample:
    y: float
    x: float
    value: float  # bilinear value, channel 0
    corners: tuple[tuple[int, int, float], ...]  # (row, col, weight) of the four neighbours; () outside the map


@dataclass(frozen=True)
class AlignBin:
    row: int
    col: int
    samples: tuple[Sample, ...]
    value: float  # mean of the samples, channel 0


@dataclass
class RoiAlignResult:
    start: tuple[float, float]  # (y, x) of the box's top-left on the map
    size: tuple[float, float]  # (height, width) on the map
    grid: tuple[int, int]  # samples per bin (rows, cols)
    bins: list[AlignBin]
    output: np.ndarray


def _bilinear(fm: np.ndarray, y: float, x: float) -> tuple[np.ndarray, tuple[tuple[int, int, float], ...]]:
    c, height, width = fm.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return np.zeros(c), ()
    y, x = max(y, 0.0), max(x, 0.0)
    y_lo, x_lo = int(y), int(x)
    if y_lo >= height - 1:
        y_hi = y_lo = height - 1
        y = float(y_lo)
    else:
        y_hi = y_lo + 1
    if x_lo >= width - 1:
        x_hi = x_lo = width - 1
        x = float(x_lo)
    else:
        x_hi = x_lo + 1
    ly, lx = y - y_lo, x - x_lo
    hy, hx = 1 - ly, 1 - lx
    corners = ((y_lo, x_lo, hy * hx), (y_lo, x_hi, hy * lx), (y_hi, x_lo, ly * hx), (y_hi, x_hi, ly * lx))
    value = np.zeros(c)
    for r, q, w in corners:
        value = value + w * fm[:, r, q]
    return value, corners


def roi_align_one(x, box, output_size: tuple[int, int], spatial_scale: float = 1.0, sampling_ratio: int = -1,
                  aligned: bool = False) -> RoiAlignResult:
    fm = check_features(x)
    b = check_boxes(box, "box")[0]
    _check_output(output_size, spatial_scale)
    if sampling_ratio == 0 or sampling_ratio < -1:
        raise CnnvizError("the sampling ratio must be a positive number of samples, or −1 (adaptive)")
    c = fm.shape[0]
    ph_n, pw_n = output_size
    off = 0.5 if aligned else 0.0
    x1, y1 = b[0] * spatial_scale - off, b[1] * spatial_scale - off
    rw, rh = b[2] * spatial_scale - off - x1, b[3] * spatial_scale - off - y1
    if not aligned:
        rw, rh = max(rw, 1.0), max(rh, 1.0)
    bh, bw = rh / ph_n, rw / pw_n
    gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / ph_n)
    gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / pw_n)
    count = max(gh * gw, 1)
    out = np.zeros((c, ph_n, pw_n))
    bins = []
    for ph in range(ph_n):
        for pw in range(pw_n):
            acc = np.zeros(c)
            samples = []
            for iy in range(gh):
                yy = y1 + ph * bh + (iy + 0.5) * bh / gh
                for ix in range(gw):
                    xx = x1 + pw * bw + (ix + 0.5) * bw / gw
                    v, corners = _bilinear(fm, yy, xx)
                    acc += v
                    samples.append(Sample(yy, xx, float(v[0]), corners))
            out[:, ph, pw] = acc / count
            bins.append(AlignBin(ph, pw, tuple(samples), float(out[0, ph, pw])))
    return RoiAlignResult((y1, x1), (rh, rw), (gh, gw), bins, out)


def roi_align(x, boxes, output_size: tuple[int, int], spatial_scale: float = 1.0, sampling_ratio: int = -1,
              aligned: bool = False) -> np.ndarray:
    """K×C×PH×PW, as torchvision.ops.roi_align."""
    b = check_boxes(boxes)
    return np.stack([roi_align_one(x, bx, output_size, spatial_scale, sampling_ratio, aligned).output for bx in b])


def pool_bin_cells(res: RoiPoolResult, i: int) -> list[tuple[int, int]]:
    """The feature-map cells (row, col) RoI pooling's bin i takes its maximum over (none: an empty bin)."""
    b = res.bins[i]
    return [(r, q) for r in range(*b.rows) for q in range(*b.cols)]


def pool_bin_text(x: np.ndarray, res: RoiPoolResult, i: int, scale: float) -> str:
    """RoI pooling's bin i in numbers: the rounded box, the bin's cells and their maximum."""
    from cnnviz.present.number_format import fmt

    b, cells = res.bins[i], pool_bin_cells(res, i)
    x1, y1, x2, y2 = res.box_on_map
    vals = ", ".join(fmt(x[r, q]) for r, q in cells)
    return (f"box × {scale:g}, rounded: x {x1}…{x2}, y {y1}…{y2} (inclusive) · bin size "
            f"{fmt(res.bin_size[0])} × {fmt(res.bin_size[1])} cells\nbin ({b.row}, {b.col}): rows "
            f"{b.rows[0]}…{b.rows[1] - 1}, columns {b.cols[0]}…{b.cols[1] - 1}\n"
            + (f"max({vals}) = {fmt(b.value)}" if cells else "empty bin → 0"))


def align_bin_text(x: np.ndarray, res: RoiAlignResult, i: int, scale: float, aligned: bool) -> str:
    """RoI align's bin i in numbers: each bilinear sample from its four corners, and their mean."""
    from cnnviz.present.number_format import fmt

    b = res.bins[i]
    (y0, x0), (hh, ww) = res.start, res.size
    lines = [f"box × {scale:g}{' − 0.5' if aligned else ''}: from (y {fmt(y0)}, x {fmt(x0)}), "
             f"{fmt(hh)} × {fmt(ww)} · {res.grid[0]}×{res.grid[1]} samples per bin"]
    for s in b.samples:
        terms = " + ".join(f"{fmt(wt, 3)}×{fmt(x[r, q])}" for r, q, wt in s.corners) or "outside → 0"
        lines.append(f"sample (y {fmt(s.y, 3)}, x {fmt(s.x, 3)}): {terms} = {fmt(s.value, 3)}")
    lines.append(f"bin ({b.row}, {b.col}) = mean of {len(b.samples)} samples = {fmt(b.value, 4)}")
    return "\n".join(lines)
