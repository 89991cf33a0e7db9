"""What the three Detection pages' links carry: boxes, thresholds, settings, drawn strokes (never uploads)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnviz.detect.real import DETECTORS
from cnnviz.images import SAMPLE_PHOTOS
from cnnviz.ui.grids import link_widgets, read_stepping, set_grid, widget_link
from cnnviz.urlstate import choice, decode_array, encode_array, flag, int_in, number, number_in, read_params

BOXES = ("a", "b", "roi_box", "anchor", "gt")  # store keys of the box inputs (widgets det_<name>_0…3)
SCALES = (1.0, 0.5, 0.25, 0.125, 0.0625)


def _scale(t: str) -> float:
    v = number(t)
    if v not in SCALES:
        raise ValueError(f"must be one of {', '.join(f'{s:g}' for s in SCALES)}")
    return v


def _box(t: str) -> list[float]:
    vals = [number(v) for v in t.split(",")]
    if len(vals) != 4 or not all(-1000 <= v <= 1000 for v in vals):
        raise ValueError("needs four numbers x1,y1,x2,y2 from −1000 to 1000")
    return vals


def _lines(t: str) -> str:
    return t.replace(";", "\n")


ARITHMETIC: dict[str, tuple[str, Any]] = {
    "nms_t": ("det_nms_t", number_in(0, 1)), "boxes": ("det_nms_text", _lines),
    "ah": ("det_ah", int_in(32, 2000)), "aw": ("det_aw", int_in(32, 2000)), "as": ("det_as", int_in(1, 64)),
    "asz": ("det_asz", str), "ar": ("det_ar", str), "arow": ("det_arow", int_in(0, 2000)),
    "acol": ("det_acol", int_in(0, 2000)), "rscale": ("det_rscale", _scale), "rout": ("det_rout", int_in(1, 4)),
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


def read_arithmetic(params: dict, store: dict) -> list[str]:
    vals, notices = read_params(params, {**{n: _box for n in BOXES}, "fm": lambda t: decode_array(t, 2)})
    for name in BOXES:
        if name in vals:
            store[name] = vals[name]
    if "fm" in vals:
        if not (1 <= vals["fm"].shape[0] <= 12 and 1 <= vals["fm"].shape[1] <= 12):
            notices.append("URL parameter fm ignored (the feature map is 1–12 cells a side); using the default.")
        else:
            set_grid(store, "fm", vals["fm"])
    steppers = read_stepping(params, store["nms"], "nms") + read_stepping(params, store["roi"], "bin")
    return notices + steppers + link_widgets(params, ARITHMETIC)


def arithmetic_link(store: dict) -> dict[str, str]:
    out = widget_link(ARITHMETIC)
    if "boxes" in out:
        out["boxes"] = ";".join(line.strip() for line in out["boxes"].splitlines() if line.strip())
    for name in BOXES:
        if name in store:
            out[name] = ",".join(f"{v:g}" for v in store[name])
    out["fm"] = encode_array(np.asarray(store["fm"]))
    return out


def _strokes(t: str) -> list[list[tuple[float, float]]]:
    strokes = [[(number(p.split(",")[0]), number(p.split(",")[1])) for p in s.split(" ") if p]
               for s in t.split(";") if s]
    if len(strokes) > 60 or any(len(s) > 400 for s in strokes):
        raise ValueError("at most 60 strokes of 400 points")
    return strokes


def read_digits(params: dict, store: dict) -> list[str]:
    vals, notices = read_params(params, {"seed": int_in(0, 9999), "strokes": _strokes})
    if "seed" in vals:
        store["seed"] = vals["seed"]
    if "strokes" in vals:
        store["strokes"] = vals["strokes"]
    return notices + link_widgets(params, DIGITS)


def digits_link(store: dict) -> dict[str, str]:
    out = widget_link(DIGITS) | {"seed": str(store["seed"])}
    if store.get("strokes"):
        out["strokes"] = ";".join(" ".join(f"{x:.0f},{y:.0f}" for x, y in s) for s in store["strokes"])
    return out


def read_photo(params: dict, store: dict) -> list[str]:
    vals, notices = read_params(params, {"at": lambda t: tuple(number(v) for v in t.split(",", 1))})
    if "at" in vals and len(vals["at"]) == 2:
        store["anchor_xy_link"] = vals["at"]
    if params.get("sample") in SAMPLE_PHOTOS:
        store["sample"] = params["sample"]
    return notices + link_widgets(params, PHOTO)


def photo_link(store: dict) -> dict[str, str]:
    out = widget_link(PHOTO)
    if store.get("anchor_xy"):
        out["at"] = ",".join(f"{v:.0f}" for v in store["anchor_xy"])
    return out

