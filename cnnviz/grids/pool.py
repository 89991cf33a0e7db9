"""Pooling on small grids with a per-cell trace; each channel pooled on its own.

Matches torch's defaults: floor output size, max-pooling pads with −∞ (padding is never
chosen), average pooling counts padded zeros (count_include_pad=True), padding at most
half the window. Ties in max-pooling pick the first maximum in row-major order, which is
the cell torch's max_pool2d reports (and routes the gradient to).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.conv import as_input
from cnnviz.grids.padding import Padding, pad_grid, padding_mask, pair
from cnnviz.grids.shapes import pool_output_size
from cnnviz.present.number_format import fmt, join_sum

POOL_MODES = ("max", "avg", "sum", "l2")


@dataclass(frozen=True)
class PoolConfig:
    window: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    padding: tuple[int, int] = (0, 0)
    mode: str = "max"


@dataclass(frozen=True)
class PoolStep:
    index: int
    channel: int
    out_row: int
    out_col: int
    cells: tuple[tuple[int, int], ...]  # padded coordinates of the window
    values: tuple[float, ...]
    padding_cells: tuple[bool, ...]
    chosen: int | None  # position in `cells` of the max (max mode)
    value: float
    mode: str

    def expression(self) -> str:
        vals = [fmt(v) if not p or self.mode != "max" else "−∞" for v, p in zip(self.values, self.padding_cells)]
        n = len(self.values)
        if self.mode == "max":
            return f"max({', '.join(vals)}) = {fmt(self.value)}"
        if self.mode == "sum":
            return f"{join_sum(vals)} = {fmt(self.value)}"
        if self.mode == "avg":
            return f"({join_sum(vals)}) / {n} = {fmt(self.value)}"
        squares = [f"{v}²" for v in vals]
        return f"√({join_sum(squares)}) = {fmt(self.value)}"


@dataclass
class PoolResult:
    input: np.ndarray
    config: PoolConfig
    padded: np.ndarray
    pad_mask: np.ndarray
    output: np.ndarray
    argmax: np.ndarray | None  # [C,OH,OW] flat index into the padded window grid

    @property
    def n_steps(self) -> int:
        return int(np.prod(self.output.shape))

    def step_index(self, c: int, i: int, j: int) -> int:
        """The step that computes output[c][i, j] (steps go channel by channel, row by row)."""
        _, oh, ow = self.output.shape
        return (c * oh + i) * ow + j

    def step(self, index: int) -> PoolStep:
        c_, oh, ow = self.output.shape
        index = int(np.clip(index, 0, self.n_steps - 1))
        c, rem = divmod(index, oh * ow)
        i, j = divmod(rem, ow)
        (kh, kw), (sh, sw) = self.config.window, self.config.stride
        cells = tuple((i * sh + a, j * sw + b) for a in range(kh) for b in range(kw))
        values = tuple(float(self.padded[c, r, q]) for r, q in cells)
        pads = tuple(bool(self.pad_mask[r, q]) for r, q in cells)
        chosen = None
        if self.config.mode == "max" and self.argmax is not None:
            chosen = int(self.argmax[c, i, j])
        return PoolStep(index, c, i, j, cells, values, pads, chosen, float(self.output[c, i, j]), self.config.mode)


def pool2d(x: np.ndarray | Sequence, config: PoolConfig = PoolConfig()) -> PoolResult:
    """Max / average / sum / L2 pooling of [H,W] or [C,H,W]; depth is kept."""
    xin = as_input(x)
    c, h, w = xin.shape
    mode = config.mode
    if mode not in POOL_MODES:
        raise GridError(f"unknown pooling '{mode}': use one of {', '.join(POOL_MODES)}")
    (kh, kw), (sh, sw), (ph, pw) = (pair(config.window, "window"), pair(config.stride, "stride"),
                                    pair(config.padding, "padding"))
    if min(kh, kw) < 1:
        raise GridError("the pooling window must be at least 1×1")
    if min(sh, sw) < 1:
        raise GridError("the stride must be at least 1")
    if min(ph, pw) < 0:
        raise GridError("padding cannot be negative")
    if ph > kh // 2 or pw > kw // 2:
        raise GridError(f"padding ({ph}, {pw}) must be at most half the window ({kh}×{kw}), as in PyTorch: "
                        "otherwise a window could hold only padding")
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise GridError(f"the {kh}×{kw} window is larger than the padded {h + 2 * ph}×{w + 2 * pw} input")
    cfg = PoolConfig((kh, kw), (sh, sw), (ph, pw), mode)
    pad = Padding(ph, ph, pw, pw)
    padded = pad_grid(xin, pad, "zeros", value=-np.inf if mode == "max" else 0.0)
    oh, ow = pool_output_size(h, kh, sh, ph), pool_output_size(w, kw, sw, pw)
    # windows[c, i, j, a*kw+b]
    windows = np.empty((c, oh, ow, kh * kw))
    for a in range(kh):
        for b in range(kw):
            windows[..., a * kw + b] = padded[:, a : a + (oh - 1) * sh + 1 : sh, b : b + (ow - 1) * sw + 1 : sw]
    argmax = None
    if mode == "max":
        argmax = np.argmax(windows, axis=-1)  # first maximum wins ties, like torch
        out = np.max(windows, axis=-1)
    elif mode == "avg":
        out = windows.mean(axis=-1)
    elif mode == "sum":
        out = windows.sum(axis=-1)
    else:
        out = np.sqrt((windows**2).sum(axis=-1))
    # the padded grid as computed: max pooling's padding is −∞ (never chosen), drawn and written that way
    return PoolResult(xin, cfg, padded, padding_mask((h, w), pad), out, argmax)
