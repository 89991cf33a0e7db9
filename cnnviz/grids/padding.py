"""Padding: turn a user's padding choice into four explicit amounts, and pad a grid.

Every page and the CLI go through `resolve_padding`, so "same" means the same thing
everywhere: TensorFlow-style "same" (output = ceil(N / S)), which for stride 1 is
exactly what `torch.nn.functional.conv2d(padding="same")` does (the odd pixel of an
even total goes after, i.e. bottom/right).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.errors import GridError

PAD_MODES = ("zeros", "reflect", "replicate")
PAD_NAMES = ("valid", "same", "full")

PaddingSpec = str | int | Sequence[int]


@dataclass(frozen=True)
class Padding:
    """Explicit padding per side, in cells."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    @property
    def rows(self) -> tuple[int, int]:
        return (self.top, self.bottom)

    @property
    def cols(self) -> tuple[int, int]:
        return (self.left, self.right)

    @property
    def is_zero(self) -> bool:
        return self.top == self.bottom == self.left == self.right == 0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.top, self.bottom, self.left, self.right)


def pair(v: int | Sequence[int], name: str, lo: int | None = None, hi: int | None = None) -> tuple[int, int]:
    """One number or two (rows, columns) → a pair, with one clear message when out of range."""
    seq = [int(v)] * 2 if isinstance(v, (int, np.integer)) else [int(x) for x in v]
    if len(seq) == 1:
        seq *= 2
    if len(seq) != 2:
        raise GridError(f"{name} needs one or two numbers")
    if lo is not None and min(seq) < lo:
        raise GridError(f"{name} must be at least {lo} (got {seq[0]}, {seq[1]})")
    if hi is not None and max(seq) > hi:
        raise GridError(f"{name} above {hi} is not supported")
    return seq[0], seq[1]


def _same_1d(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    out = -(-n // s)  # ceil
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def parse_padding(text: str) -> PaddingSpec:
    """Parse the CLI/URL form: valid|same|full|N|PH,PW|T,B,L,R."""
    t = str(text).strip().lower()
    if t in PAD_NAMES:
        return t
    try:
        parts = [int(p) for p in t.split(",")]
    except ValueError:
        raise GridError(
            f"padding '{text}' is not valid: use valid, same, full, N, PH,PW or T,B,L,R"
        ) from None
    if len(parts) == 1:
        return parts[0]
    if len(parts) in (2, 4):
        return tuple(parts)
    raise GridError(f"padding '{text}' has {len(parts)} numbers: give 1, 2 or 4")


def resolve_padding(
    spec: PaddingSpec,
    in_size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
) -> Padding:
    """Explicit (top, bottom, left, right) padding for a named or numeric spec."""
    if isinstance(spec, str):
        name = spec.strip().lower()
        if name == "valid":
            return Padding()
        if name == "same":
            t, b = _same_1d(in_size[0], kernel[0], stride[0], dilation[0])
            l, r = _same_1d(in_size[1], kernel[1], stride[1], dilation[1])
            return Padding(t, b, l, r)
        if name == "full":
            ph = dilation[0] * (kernel[0] - 1)
            pw = dilation[1] * (kernel[1] - 1)
            return Padding(ph, ph, pw, pw)
        return resolve_padding(parse_padding(name), in_size, kernel, stride, dilation)
    if isinstance(spec, (int, np.integer)):
        vals = (int(spec),) * 4
    else:
        seq = [int(v) for v in spec]
        if len(seq) == 1:
            vals = (seq[0],) * 4
        elif len(seq) == 2:
            vals = (seq[0], seq[0], seq[1], seq[1])
        elif len(seq) == 4:
            vals = (seq[0], seq[1], seq[2], seq[3])
        else:
            raise GridError("padding needs 1, 2 or 4 numbers")
    if min(vals) < 0:
        raise GridError("padding cannot be negative")
    if max(vals) > 32:
        raise GridError("padding above 32 cells is not supported")
    return Padding(*vals)


def pad_grid(x: np.ndarray, pad: Padding, mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of `x` ([..., H, W]) like torch's F.pad modes."""
    if mode not in PAD_MODES:
        raise GridError(f"unknown padding mode '{mode}': use one of {', '.join(PAD_MODES)}")
    widths = [(0, 0)] * (x.ndim - 2) + [pad.rows, pad.cols]
    if pad.is_zero:
        return x.copy()
    if mode == "zeros":
        return np.pad(x, widths, mode="constant", constant_values=value)
    if mode == "reflect":
        h, w = x.shape[-2:]
        if max(pad.rows) >= h or max(pad.cols) >= w:
            raise GridError(
                f"reflect padding must be smaller than the grid: padding {pad.as_tuple()} "
                f"(top, bottom, left, right) on a {h}×{w} grid"
            )
        return np.pad(x, widths, mode="reflect")
    return np.pad(x, widths, mode="edge")


def padding_mask(shape: tuple[int, int], pad: Padding) -> np.ndarray:
    """Boolean [Hp, Wp] mask, True where a cell of the padded grid is padding."""
    h, w = shape
    mask = np.ones((h + pad.top + pad.bottom, w + pad.left + pad.right), dtype=bool)
    mask[pad.top : pad.top + h, pad.left : pad.left + w] = False
    return mask
