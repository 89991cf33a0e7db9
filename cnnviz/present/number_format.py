"""How numbers are written for learners: integers without '.0', at most 4 decimals."""

from __future__ import annotations

import math

MINUS = "\u2212"


def fmt(v: float, decimals: int = 4) -> str:
    """Short, exact-looking text for a value (uses a real minus sign)."""
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else MINUS + "∞"
    if v != 0 and (abs(v) >= 1e6 or abs(v) < 10 ** (-decimals)):
        text = f"{v:.3e}"
    else:
        r = round(v, decimals)
        if r == int(r):
            text = str(int(r))
        else:
            text = f"{r:.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("-0",):
        text = "0"
    return text.replace("-", MINUS)


def fmt_factor(v: float, decimals: int = 4) -> str:
    """A value inside a product: negatives in parentheses, as in '5×(−1)'."""
    text = fmt(v, decimals)
    return f"({text})" if text.startswith(MINUS) else text


def join_sum(terms: list[str]) -> str:
    """'a + b − c' from already formatted terms (a leading minus turns '+' into '−')."""
    out = ""
    for i, t in enumerate(terms):
        if i == 0:
            out = t
        elif t.startswith(MINUS) and not t.startswith(MINUS + "∞"):
            out += f" {MINUS} {t[1:]}"
        else:
            out += f" + {t}"
    return out
