"""What the three Detection pages' links carry: boxes, thresholds, settings, drawn strokes (never uploads) — the
parsers and widget tables their states (`DetectionState`, `DigitsState`, `PhotoDetectorsState`) read links with."""

from __future__ import annotations

from typing import Any

from cnnviz.detect.real import DETECTORS
from cnnviz.images import SAMPLE_PHOTOS
from cnnviz.urlstate import choice, flag, int_in, number, number_in

BOXES = ("a", "b", "roi_box", "anchor", "gt")  # store keys of the box inputs (widgets det_<name>_0…3)
SCALES = (1.0, 0.5, 0.25, 0.125, 0.0625)


def scale(t: str) -> float:
    v = number(t)
    if v not in SCALES:
        raise ValueError(f"must be one of {', '.join(f'{s:g}' for s in SCALES)}")
    return v


def box(t: str) -> list[float]:
    vals = [number(v) for v in t.split(",")]
    if len(vals) != 4 or not all(-1000 <= v <= 1000 for v in vals):
        raise ValueError("needs four numbers x1,y1,x2,y2 from −1000 to 1000")
    return vals


def lines(t: str) -> str:
    return t.replace(";", "\n")


TABS = ("IoU", "Non-maximum suppression", "Anchors", "RoI pooling / align", "Box coding")  # Detection arithmetic's
ARITHMETIC: dict[str, tuple[str, Any]] = {
    "tab": ("det_tab", choice(TABS)),
    "nms_t": ("det_nms_t", number_in(0, 1)), "boxes": ("det_nms_text", lines),
    "ah": ("det_ah", int_in(32, 2000)), "aw": ("det_aw", int_in(32, 2000)), "as": ("det_as", int_in(1, 64)),
    "asz": ("det_asz", str), "ar": ("det_ar", str), "arow": ("det_arow", int_in(0, 2000)),
    "acol": ("det_acol", int_in(0, 2000)), "rscale": ("det_rscale", scale), "rout": ("det_rout", int_in(1, 4)),
    "rmethod": ("det_rmethod", choice(("pool", "align"))), "rratio": ("det_rratio", int_in(-1, 4)),
    "raligned": ("det_raligned", flag),
}
DIGITS: dict[str, tuple[str, Any]] = {
    "scene": ("dig_source", choice(("generated", "draw", "upload"))), "t": ("dig_t", number_in(0.05, 0.95)),
    "nms_iou": ("dig_iou", number_in(0.1, 0.9)),
}
PHOTO: dict[str, tuple[str, Any]] = {
    "model": ("pd_model", choice(tuple(DETECTORS))), "sample": ("pd_sample", choice(tuple(SAMPLE_PHOTOS))),
    "t": ("pd_t", number_in(0.05, 0.95)), "rpn": ("pd_rpn", flag), "level": ("pd_anchor_level", int_in(0, 9)),
}


def strokes(t: str) -> list[list[tuple[float, float]]]:
    strokes = [[(number(p.split(",")[0]), number(p.split(",")[1])) for p in s.split(" ") if p]
               for s in t.split(";") if s]
    if len(strokes) > 60 or any(len(s) > 400 for s in strokes):
        raise ValueError("at most 60 strokes of 400 points")
    return strokes


