"""Grids as text: what a learner pastes, what the URL and the CLI carry.

Accepted: JSON arrays (any depth), or rows separated by newlines or ';' with values
separated by spaces, commas or tabs. Errors name the exact cell that is wrong.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from cnnviz.errors import GridError
from cnnviz.present.number_format import fmt


def parse_json_array(text: str, what: str = "array") -> np.ndarray:
    """A JSON array of numbers (nested, rectangular) → float64 ndarray."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise GridError(f"the {what} is not valid JSON ({e.msg} at character {e.pos})") from None
    return _rectangular(data, what)


def _rectangular(data, what: str) -> np.ndarray:
    if not isinstance(data, list) or len(data) == 0:
        raise GridError(f"the {what} must be a non-empty JSON array of numbers")

    def check(node, path):
        if isinstance(node, list):
            for i, v in enumerate(node):
                check(v, path + [i])
        elif isinstance(node, bool) or not isinstance(node, (int, float)):
            where = "".join(f"[{i}]" for i in path)
            raise GridError(f"the {what} has a non-numeric value {json.dumps(node)} at {where}")
        elif not math.isfinite(node):
            raise GridError(f"the {what} has a non-finite value at {''.join(f'[{i}]' for i in path)}")

    check(data, [])
    try:
        arr = np.array(data, dtype=np.float64)
    except ValueError:
        raise GridError(f"the {what} is ragged: every row must have the same length") from None
    if arr.dtype == object or arr.size == 0:
        raise GridError(f"the {what} is ragged or empty")
    return arr


def parse_grid(text: str, what: str = "grid") -> np.ndarray:
    """Rows of numbers → 2-D float64 array, with a message naming any bad cell."""
    t = (text or "").strip()
    if not t:
        raise GridError(f"the {what} is empty: type at least one number")
    if t.startswith("["):
        arr = parse_json_array(t, what)
        if arr.ndim == 1:
            arr = arr[None]
        if arr.ndim != 2:
            raise GridError(f"the {what} must be 2-D (got {arr.ndim} dimensions)")
        return arr
    rows = [r for r in re.split(r"[\n;]+", t) if r.strip()]
    out: list[list[float]] = []
    for i, row in enumerate(rows):
        cells = [c for c in re.split(r"[\s,]+", row.strip()) if c]
        vals = []
        for j, cell in enumerate(cells):
            try:
                v = float(cell.replace("\u2212", "-"))
            except ValueError:
                raise GridError(f"the {what} has a non-numeric cell '{cell}' at row {i}, column {j}") from None
            if not math.isfinite(v):
                raise GridError(f"the {what} has '{cell}' at row {i}, column {j}: use finite numbers")
            vals.append(v)
        out.append(vals)
    widths = {len(r) for r in out}
    if len(widths) != 1:
        raise GridError(f"the {what} is ragged: rows have {', '.join(str(len(r)) for r in out)} values")
    return np.array(out, dtype=np.float64)


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def parse_number(text: str) -> float:
    """One number as people type it: 3, -0.5, −0.5 (the minus sign), +2, .5, 1e3, 2.5E-2, and a decimal comma
    (1,5 = 1.5) where it cannot be a thousands separator. Anything else raises ValueError saying why."""
    t = str(text).strip().replace("\u2212", "-").replace("\u2013", "-")
    if not t:
        raise ValueError("it is empty")
    if _NUMBER.fullmatch(t):
        v = float(t)
        if not math.isfinite(v):
            raise ValueError(f"'{text}' is too large")
        return v
    if _DECIMAL_COMMA.fullmatch(t):
        if re.fullmatch(r"[+-]?\d{1,3},\d{3}", t):
            raise ValueError(f"'{text}' is ambiguous (a decimal comma or a thousands separator?): write "
                             f"{t.replace(',', '.')} or {t.replace(',', '')}")
        return float(t.replace(",", "."))
    raise ValueError(f"'{text}' is not a number")


def cell_text(v: float) -> str:
    """How a grid cell shows a number for editing (what `parse_number` reads back)."""
    return f"{float(v):.6g}"


def format_grid(arr: np.ndarray, sep: str = " ", row_sep: str = "\n") -> str:
    """2-D array → text that `parse_grid` reads back exactly (up to 4 decimals)."""
    a = np.atleast_2d(np.asarray(arr, dtype=np.float64))
    return row_sep.join(sep.join(fmt(v).replace("\u2212", "-") for v in row) for row in a)


def grid_to_url(arr: np.ndarray) -> str:
    """Compact URL form: '1,2,3;4,5,6'."""
    return format_grid(arr, sep=",", row_sep=";")


def grid_to_csv(arr: np.ndarray) -> str:
    """CSV of a 2-D grid (a [F,H,W] stack becomes blocks separated by '# filter k' lines)."""
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 2:
        return format_grid(a, sep=",", row_sep="\n") + "\n"
    return "".join(f"# channel {k}\n" + format_grid(a[k], sep=",", row_sep="\n") + "\n" for k in range(a.shape[0]))
