"""Detection arithmetic on boxes [x1, y1, x2, y2], written out step by step and cross-checked against torchvision.ops.

Conventions are torchvision's: continuous coordinates, area = (x2 − x1)·(y2 − y1), NMS
suppresses a box whose IoU with a kept one is strictly above the threshold, and keeps
indices in decreasing score order (stable for ties).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cnnviz.errors import CnnvizError


def check_boxes(boxes, what: str = "boxes", allow_empty: bool = False) -> np.ndarray:
    """An N×4 float array of valid boxes, or one clear message naming the first bad one (no boxes at all: 0×4
    where that has a meaning, as for NMS — torchvision's keeps nothing of nothing)."""
    try:
        b = np.asarray(boxes, dtype=float)
    except (TypeError, ValueError):
        raise CnnvizError(f"{what} must be a list of [x1, y1, x2, y2] numbers") from None
    if b.ndim == 1 and b.size == 4:
        b = b[None]
    if b.size == 0:
        if allow_empty:
            return np.zeros((0, 4))
        raise CnnvizError(f"{what} is empty: give at least one box [x1, y1, x2, y2]")
    if b.ndim != 2 or b.shape[1] != 4:
        raise CnnvizError(f"{what} must be a list of boxes with 4 numbers each [x1, y1, x2, y2]")
    bad = np.flatnonzero(~np.isfinite(b).all(axis=1))
    if len(bad):
        raise CnnvizError(f"{what}[{bad[0]}] has a value that is not a finite number")
    wrong = np.flatnonzero((b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1]))
    if len(wrong):
        k = wrong[0]
        raise CnnvizError(f"{what}[{k}] = {b[k].tolist()} has x2 < x1 or y2 < y1: a box is [x1, y1, x2, y2] with "
                          "its top-left corner first")
    return b


def area(b: np.ndarray) -> np.ndarray:
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


@dataclass(frozen=True)
class IoU:
    """Intersection over union of two boxes, every number of the computation kept for display."""

    a: tuple[float, ...]
    b: tuple[float, ...]
    intersection_box: tuple[float, float, float, float] | None  # None when they do not overlap
    intersection: float
    area_a: float
    area_b: float

    @property
    def union(self) -> float:
        return self.area_a + self.area_b - self.intersection

    @property
    def value(self) -> float:
        return self.intersection / self.union if self.union > 0 else 0.0

    def explain(self) -> list[str]:
        from cnnviz.present.number_format import fmt

        lines = [f"area A = ({fmt(self.a[2])} − {fmt(self.a[0])}) × ({fmt(self.a[3])} − {fmt(self.a[1])}) = "
                 f"{fmt(self.area_a)}",
                 f"area B = ({fmt(self.b[2])} − {fmt(self.b[0])}) × ({fmt(self.b[3])} − {fmt(self.b[1])}) = "
                 f"{fmt(self.area_b)}"]
        if self.intersection_box is None:
            lines.append("the boxes do not overlap: intersection = 0")
        else:
            x1, y1, x2, y2 = self.intersection_box
            lines.append(f"intersection = [max x1, max y1, min x2, min y2] = [{fmt(x1)}, {fmt(y1)}, {fmt(x2)}, "
                         f"{fmt(y2)}] → ({fmt(x2)} − {fmt(x1)}) × ({fmt(y2)} − {fmt(y1)}) = {fmt(self.intersection)}")
        lines.append(f"union = {fmt(self.area_a)} + {fmt(self.area_b)} − {fmt(self.intersection)} = {fmt(self.union)}")
        lines.append(f"IoU = {fmt(self.intersection)} / {fmt(self.union)} = {fmt(self.value, 4)}")
        return lines


def iou_of(a, b) -> IoU:
    """The IoU of two single boxes with its intermediate numbers."""
    ba, bb = check_boxes(a, "box A")[0], check_boxes(b, "box B")[0]
    x1, y1 = max(ba[0], bb[0]), max(ba[1], bb[1])
    x2, y2 = min(ba[2], bb[2]), min(ba[3], bb[3])
    overlap = x2 > x1 and y2 > y1
    inter = (x2 - x1) * (y2 - y1) if overlap else 0.0
    return IoU(tuple(ba), tuple(bb), (x1, y1, x2, y2) if overlap else None, float(inter), float(area(ba)),
               float(area(bb)))


def box_iou(a, b) -> np.ndarray:
    """N×M IoU matrix (torchvision.ops.box_iou)."""
    ba, bb = check_boxes(a, "boxes A"), check_boxes(b, "boxes B")
    lt = np.maximum(ba[:, None, :2], bb[None, :, :2])
    rb = np.minimum(ba[:, None, 2:], bb[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area(ba)[:, None] + area(bb)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


# ---- non-maximum suppression ---------------------------------------------------------------

@dataclass(frozen=True)
class NmsStep:
    kept: int  # index of the box kept at this step (the highest score left)
    suppressed: tuple[tuple[int, float], ...]  # (index, IoU with the kept box) removed by it
    survivors: tuple[int, ...]  # still in the running after this step, by decreasing score


@dataclass
class NmsResult:
    order: list[int]  # indices by decreasing score
    steps: list[NmsStep] = field(default_factory=list)

    @property
    def keep(self) -> list[int]:
        return [s.kept for s in self.steps]


def nms(boxes, scores, iou_threshold: float) -> NmsResult:
    """Greedy NMS, step by step: take the best box left, remove those overlapping it by more than the threshold."""
    b = check_boxes(boxes, allow_empty=True)
    s = np.asarray(scores, dtype=float).ravel()
    if len(s) != len(b):
        raise CnnvizError(f"{len(b)} boxes but {len(s)} scores: give one score per box")
    if not np.isfinite(s).all():
        raise CnnvizError("every score must be a finite number")
    if not 0.0 <= iou_threshold <= 1.0 or not math.isfinite(iou_threshold):
        raise CnnvizError(f"the IoU threshold must be between 0 and 1 (got {iou_threshold})")
    order = sorted(range(len(s)), key=lambda i: -s[i])  # stable: ties keep their input order
    if not order:
        return NmsResult(order)
    ious = box_iou(b, b)
    res = NmsResult(order)
    left = list(order)
    while left:
        best, rest = left[0], left[1:]
        gone = tuple((j, float(ious[best, j])) for j in rest if ious[best, j] > iou_threshold)
        gone_ids = {j for j, _ in gone}
        left = [j for j in rest if j not in gone_ids]
        res.steps.append(NmsStep(best, gone, tuple(left)))
    return res


# ---- anchors and box encoding -----------------------------------------------------------------

def anchors(feature_size: tuple[int, int], stride: int, sizes: tuple[float, ...], ratios: tuple[float, ...]
            ) -> np.ndarray:
    """Every anchor of a feature map, [H·W·A, 4], in image pixels, as torchvision's AnchorGenerator makes them:
    for ratio r = h / w and size s: w = s / √r, h = s · √r, centred on (x · stride, y · stride), rounded."""
    h_ratios = np.sqrt(np.asarray(ratios, dtype=float))
    w_ratios = 1 / h_ratios
    ws = (w_ratios[:, None] * np.asarray(sizes, dtype=float)[None, :]).ravel()
    hs = (h_ratios[:, None] * np.asarray(sizes, dtype=float)[None, :]).ravel()
    base = np.round(np.stack([-ws, -hs, ws, hs], axis=1) / 2)
    fh, fw = feature_size
    ys, xs = np.meshgrid(np.arange(fh) * stride, np.arange(fw) * stride, indexing="ij")
    shifts = np.stack([xs.ravel(), ys.ravel(), xs.ravel(), ys.ravel()], axis=1).astype(float)
    return (shifts[:, None, :] + base[None, :, :]).reshape(-1, 4)


def _centres_and_sizes(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(centre x, centre y, width, height) of N×4 boxes: what box coding works in."""
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return b[:, 0] + 0.5 * w, b[:, 1] + 0.5 * h, w, h


def encode(reference, proposals, weights=(1.0, 1.0, 1.0, 1.0)) -> np.ndarray:
    """Deltas (dx, dy, dw, dh) that move each proposal (anchor) onto its reference box (R-CNN's parameterisation)."""
    r, p = check_boxes(reference, "reference boxes"), check_boxes(proposals, "proposals")
    px, py, pw, ph = _centres_and_sizes(p)
    gx, gy, gw, gh = _centres_and_sizes(r)
    wx, wy, ww, wh = weights
    return np.stack([wx * (gx - px) / pw, wy * (gy - py) / ph, ww * np.log(gw / pw), wh * np.log(gh / ph)], axis=1)


def decode(deltas, proposals, weights=(1.0, 1.0, 1.0, 1.0)) -> np.ndarray:
    """Boxes from deltas and proposals: the inverse of `encode`."""
    p = check_boxes(proposals, "proposals")
    d = np.asarray(deltas, dtype=float).reshape(-1, 4)
    px, py, pw, ph = _centres_and_sizes(p)
    wx, wy, ww, wh = weights
    cx, cy = d[:, 0] / wx * pw + px, d[:, 1] / wy * ph + py
    w, h = np.exp(d[:, 2] / ww) * pw, np.exp(d[:, 3] / wh) * ph
    return np.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], axis=1)


# ---- what the Detection arithmetic page reads and writes ---------------------------------------------------

def parse_scored_boxes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """'x1 y1 x2 y2 score' per line (commas or spaces) → (boxes N×4, scores N); a CnnvizError says what is wrong."""
    rows = [line.replace(",", " ").split() for line in text.strip().splitlines() if line.strip()]
    if not rows:
        raise CnnvizError("type at least one box: x1 y1 x2 y2 score on a line")
    for k, r in enumerate(rows):
        if len(r) != 5:
            raise CnnvizError(f"line {k + 1} has {len(r)} numbers: each line is x1 y1 x2 y2 score")
    try:
        vals = np.array([[float(v) for v in r] for r in rows])
    except ValueError:
        raise CnnvizError("every value must be a number (x1 y1 x2 y2 score on each line)") from None
    return vals[:, :4], vals[:, 4]


def parse_positive(text: str, what: str) -> tuple[float, ...]:
    """'128, 256, 512' → (128.0, 256.0, 512.0); a CnnvizError unless every entry is a positive number."""
    try:
        vals = tuple(float(v) for v in text.replace(",", " ").split())
    except ValueError:
        vals = ()
    if not vals or min(vals) <= 0 or not all(math.isfinite(v) for v in vals):
        raise CnnvizError(f"{what} are positive numbers separated by commas, e.g. 128, 256, 512")
    return vals


@dataclass(frozen=True)
class AnchorGrid:
    """The anchors of an image's last feature map: its size, anchors per position, and every anchor by position."""

    rows: int  # ⌊image height / stride⌋
    cols: int
    per_position: int  # sizes × ratios
    boxes: np.ndarray  # rows × cols × per_position × 4, image pixels

    @property
    def total(self) -> int:
        return self.rows * self.cols * self.per_position


def anchor_grid(height: int, width: int, stride: int, sizes: tuple[float, ...], ratios: tuple[float, ...]
                ) -> AnchorGrid:
    """Faster R-CNN's anchors over an image: a feature map of ⌊H/stride⌋ × ⌊W/stride⌋ positions, each with one
    anchor per (size, ratio) — in `anchors`' order: size fastest, then ratio."""
    fh, fw = height // stride, width // stride
    k = len(sizes) * len(ratios)
    return AnchorGrid(fh, fw, k, anchors((fh, fw), stride, sizes, ratios).reshape(fh, fw, k, 4))


def coding_lines(anchor, box) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(deltas, the box decoded back, the arithmetic in words) of encoding `box` against `anchor`."""
    from cnnviz.present.number_format import fmt

    d = encode([box], [anchor])[0]
    back = decode([d], [anchor])[0]
    ax, ay, aw, ah = (float(v[0]) for v in _centres_and_sizes(check_boxes(anchor, "anchor")))
    gx, gy, gw, gh = (float(v[0]) for v in _centres_and_sizes(check_boxes(box, "box")))
    return d, back, [f"anchor centre ({fmt(ax)}, {fmt(ay)}), size {fmt(aw)} × {fmt(ah)}",
                     f"object centre ({fmt(gx)}, {fmt(gy)}), size {fmt(gw)} × {fmt(gh)}",
                     f"dx = ({fmt(gx)} − {fmt(ax)}) / {fmt(aw)} = {fmt(d[0], 4)}",
                     f"dy = ({fmt(gy)} − {fmt(ay)}) / {fmt(ah)} = {fmt(d[1], 4)}",
                     f"dw = ln({fmt(gw)} / {fmt(aw)}) = {fmt(d[2], 4)}",
                     f"dh = ln({fmt(gh)} / {fmt(ah)}) = {fmt(d[3], 4)}",
                     f"decoded back: [{', '.join(fmt(v, 3) for v in back)}]"]
