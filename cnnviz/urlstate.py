"""A view's state as URL parameters and back; bad parameters give notices, not errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.text import grid_to_url, parse_grid


def encode_array(arr: np.ndarray) -> str:
    """2-D 'a,b;c,d'; 3-D channels joined by '|'; 4-D filters joined by '/'."""
    a = np.asarray(arr)
    if a.ndim == 2:
        return grid_to_url(a)
    if a.ndim == 3:
        return "|".join(grid_to_url(c) for c in a)
    return "/".join(encode_array(f) for f in a)


def decode_array(text: str, ndim: int) -> np.ndarray:
    if ndim == 2:
        return parse_grid(text)
    sep = "|" if ndim == 3 else "/"
    parts = [decode_array(p, ndim - 1) for p in text.split(sep)]
    if len({p.shape for p in parts}) != 1:
        raise GridError("the parts of the array have different shapes")
    return np.stack(parts)


def is_class_index(text: str) -> bool:
    """An old link's explained class (`class=968`, 1–4 digits), not a classroom code (5 letters and digits): the
    app shell's `class` names a classroom only; pages name the class they explain `cls` (the shell turns an old
    link's `class=<index>` into `cls` before the page reads its link)."""
    return text.isdigit() and len(text) <= 4


def read_params(params: dict[str, str], spec: dict[str, Callable[[str], Any]]) -> tuple[dict, list[str]]:
    """Parse each known parameter with its parser; any failure keeps the default and adds a notice."""
    values, notices = {}, []
    for key, parse in spec.items():
        if key not in params or params[key] is None:
            continue
        try:
            values[key] = parse(params[key])
        except (ValueError, GridError, TypeError, IndexError) as e:
            notices.append(f"URL parameter {key}={params[key][:40]!r} ignored ({e}); using the default.")
    return values, notices


def int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(t: str) -> int:
        try:
            v = int(t)
        except ValueError:
            raise ValueError(f"must be a whole number from {lo} to {hi}") from None
        if not lo <= v <= hi:
            raise ValueError(f"must be {lo}–{hi}")
        return v
    return parse


def number_in(lo: float, hi: float) -> Callable[[str], float]:
    def parse(t: str) -> float:
        v = number(t)
        if not lo <= v <= hi:
            raise ValueError(f"must be {lo:g}–{hi:g}")
        return v
    return parse


def pair_in(lo: int, hi: int) -> Callable[[str], tuple[int, int]]:
    def parse(t: str) -> tuple[int, int]:
        vals = [int_in(lo, hi)(p) for p in t.split(",")]
        if len(vals) == 1:
            vals *= 2
        if len(vals) != 2:
            raise ValueError("needs one or two numbers")
        return vals[0], vals[1]
    return parse


def choice(options) -> Callable[[str], str]:
    def parse(t: str) -> str:
        if t not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return t
    return parse


def node_name(t: str) -> str:
    """A layer's node name (letters, digits, '_' and '.'): the page checks it names a layer of its network."""
    if not re.fullmatch(r"[A-Za-z0-9_.]{1,80}", t):
        raise ValueError("must be a layer's name, such as features_3_conv_0")
    return t


def flag(t: str) -> bool:
    if t not in ("0", "1"):
        raise ValueError("must be 0 or 1")
    return t == "1"


def number(t: str) -> float:
    """A finite number, or ValueError in words (never Python's own text)."""
    try:
        v = float(t)
    except ValueError:
        raise ValueError("must be a number") from None
    if not np.isfinite(v):
        raise ValueError("must be a finite number")
    return v


def fit_grid(arr: np.ndarray, rows: int, cols: int, what: str, channels: int | None = None
             ) -> tuple[np.ndarray, str | None]:
    """A linked grid cut to the page's limits, with a notice saying exactly what was cut (never silently)."""
    a = np.asarray(arr)
    cut = []
    if channels is not None and a.ndim == 3 and a.shape[0] > channels:
        cut.append(f"{a.shape[0]} channels → the first {channels}")
        a = a[:channels]
    h, w = a.shape[-2:]
    if h > rows or w > cols:
        cut.append(f"{h}×{w} → the top-left {min(h, rows)}×{min(w, cols)}")
        a = a[..., :rows, :cols]
    if not cut:
        return a, None
    return a, f"The link's {what} is larger than this page shows ({'; '.join(cut)}): it was cut to fit."
