"""Convolution on small grids with a per-cell trace of the arithmetic.

The result keeps the padded input, the kernel actually applied (flipped for a true
convolution) and every output value, and `ConvResult.step(k)` explains output cell k
term by term. The numbers are computed once, vectorised, in float64; the step trace
re-derives one cell from the same arrays, so what a learner reads is what was computed.
Cross-checked against `torch.nn.functional.conv2d/conv1d` in tests/ops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.activations import ACTIVATIONS, apply_activation
from cnnviz.grids.padding import (
    Padding,
    PaddingSpec,
    pad_grid,
    padding_mask,
    pair,
    resolve_padding,
)
from cnnviz.grids.shapes import conv_output_size, unvisited_indices
from cnnviz.present.number_format import fmt, fmt_factor, join_sum

MAX_SIDE = 64
MAX_CHANNELS = 64
MAX_FILTERS = 64
MAX_KERNEL = 15


@dataclass(frozen=True)
class ConvConfig:
    """Hyper-parameters of one convolution: the same object serves page, CLI and tests."""

    stride: tuple[int, int] = (1, 1)
    padding: PaddingSpec = "valid"
    pad_mode: str = "zeros"
    dilation: tuple[int, int] = (1, 1)
    flip: bool = False
    activation: str = "none"
    leaky_slope: float = 0.01


def as_input(x: np.ndarray | Sequence) -> np.ndarray:
    """[H,W] or [C,H,W] numbers → float64 [C,H,W], with one clear message if impossible."""
    arr = _as_float(x, "input")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise GridError(f"the input must be H×W or C×H×W (got {arr.ndim} dimensions)")
    c, h, w = arr.shape
    if h == 0 or w == 0 or c == 0:
        raise GridError("the input grid is empty")
    if max(h, w) > MAX_SIDE or c > MAX_CHANNELS:
        raise GridError(f"the input {c}×{h}×{w} is over the size limit ({MAX_CHANNELS}×{MAX_SIDE}×{MAX_SIDE})")
    return arr


def as_kernel(k: np.ndarray | Sequence, channels: int) -> np.ndarray:
    """[kh,kw], [C,kh,kw] (one filter) or [F,C,kh,kw] → float64 [F,C,kh,kw]."""
    arr = _as_float(k, "kernel")
    if arr.ndim == 2:
        arr = np.repeat(arr[None, None], channels, axis=1) if channels > 1 else arr[None, None]
    elif arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise GridError(f"the kernel must be k×k, C×k×k or F×C×k×k (got {arr.ndim} dimensions)")
    f, c, kh, kw = arr.shape
    if min(arr.shape) == 0:
        raise GridError("the kernel is empty")
    if c != channels:
        raise GridError(f"the kernel has depth {c} but the input has {channels} channels: they must match")
    if max(kh, kw) > MAX_KERNEL or f > MAX_FILTERS:
        raise GridError(f"the kernel {f}×{c}×{kh}×{kw} is over the size limit")
    return arr


def _as_float(x, what: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise GridError(f"the {what} must be a rectangular grid of numbers") from None
    if arr.size and not np.all(np.isfinite(arr)):
        raise GridError(f"the {what} contains NaN or infinity: use finite numbers")
    return arr


@dataclass(frozen=True)
class ConvTerm:
    """One multiply of the sliding window: input value × weight."""

    channel: int
    ki: int  # kernel row
    kj: int  # kernel column
    row: int  # row in the padded grid
    col: int  # column in the padded grid
    x: float
    w: float
    is_padding: bool

    @property
    def product(self) -> float:
        return self.x * self.w


@dataclass(frozen=True)
class ConvStep:
    """Everything needed to explain one output cell."""

    index: int
    filter: int
    out_row: int
    out_col: int
    terms: tuple[ConvTerm, ...]
    channel_sums: tuple[float, ...]
    bias: float
    pre_activation: float
    value: float
    activation: str

    @property
    def rows(self) -> list[int]:
        return sorted({t.row for t in self.terms})

    @property
    def cols(self) -> list[int]:
        return sorted({t.col for t in self.terms})

    def expression(self, skip_zero_weights: bool = False) -> str:
        """'5×1 + 8×0 + … + 0 = 16' with the actual numbers (single channel)."""
        terms = [t for t in self.terms if not (skip_zero_weights and t.w == 0)]
        parts = [f"{fmt_factor(t.x)}×{fmt_factor(t.w)}" for t in terms] or ["0"]
        parts.append(fmt(self.bias))
        text = f"{join_sum(parts)} = {fmt(self.pre_activation)}"
        if self.activation != "none":
            text += f"  →  {self.activation}({fmt(self.pre_activation)}) = {fmt(self.value)}"
        return text

    def channel_expressions(self) -> list[str]:
        """One line per input channel: its products and their partial sum."""
        lines = []
        for c, s in enumerate(self.channel_sums):
            parts = [f"{fmt_factor(t.x)}×{fmt_factor(t.w)}" for t in self.terms if t.channel == c]
            lines.append(f"channel {c}: {join_sum(parts)} = {fmt(s)}")
        return lines

    def total_expression(self) -> str:
        """Sum of channel partial sums plus bias (multi-channel summary line)."""
        parts = [fmt(s) for s in self.channel_sums] + [fmt(self.bias)]
        text = f"{join_sum(parts)} = {fmt(self.pre_activation)}"
        if self.activation != "none":
            text += f"  →  {self.activation} = {fmt(self.value)}"
        return text


@dataclass
class ConvResult:
    """A computed convolution and the arrays its explanations are read from."""

    input: np.ndarray  # [C,H,W]
    weight: np.ndarray  # [F,C,kh,kw] as typed
    applied_kernel: np.ndarray  # [F,C,kh,kw] as applied (flipped if flip)
    bias: np.ndarray  # [F]
    config: ConvConfig
    padding: Padding
    padded: np.ndarray  # [C,Hp,Wp]
    pad_mask: np.ndarray  # [Hp,Wp]
    pre_activation: np.ndarray  # [F,OH,OW]
    output: np.ndarray  # [F,OH,OW]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)

    @property
    def fingerprint(self) -> str:
        """A digest of everything this result shows: figures of equal results can be shared between sessions."""
        h = hashlib.sha1(repr((self.config, self.padding, self.stride, self.dilation)).encode())
        for a in (self.input, self.applied_kernel, self.bias, self.output):
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
            h.update(str(a.shape).encode())
        return h.hexdigest()
    unvisited_rows: list[int] = field(default_factory=list)
    unvisited_cols: list[int] = field(default_factory=list)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return tuple(self.output.shape)  # type: ignore[return-value]

    @property
    def n_steps(self) -> int:
        return int(np.prod(self.output.shape))

    @property
    def n_params(self) -> int:
        f, c, kh, kw = self.weight.shape
        return f * (c * kh * kw + 1)

    def step_index(self, f: int, i: int, j: int) -> int:
        _, oh, ow = self.output.shape
        return (f * oh + i) * ow + j

    def step(self, index: int) -> ConvStep:
        f_, oh, ow = self.output.shape
        index = int(np.clip(index, 0, self.n_steps - 1))
        f, rem = divmod(index, oh * ow)
        i, j = divmod(rem, ow)
        kern = self.applied_kernel[f]
        c_, kh, kw = kern.shape
        sh, sw = self.stride
        dh, dw = self.dilation
        terms = []
        sums = []
        for c in range(c_):
            s = 0.0
            for a in range(kh):
                for b in range(kw):
                    r, q = i * sh + a * dh, j * sw + b * dw
                    x = float(self.padded[c, r, q])
                    w = float(kern[c, a, b])
                    terms.append(ConvTerm(c, a, b, r, q, x, w, bool(self.pad_mask[r, q])))
                    s += x * w
            sums.append(s)
        return ConvStep(
            index=index, filter=f, out_row=i, out_col=j, terms=tuple(terms),
            channel_sums=tuple(sums), bias=float(self.bias[f]),
            pre_activation=float(self.pre_activation[f, i, j]),
            value=float(self.output[f, i, j]), activation=self.config.activation,
        )

    def outputs_fed_by(self, row: int, col: int) -> list[tuple[int, int]]:
        """Output cells (i, j) whose window contains input cell (row, col) (unpadded coords)."""
        r, q = row + self.padding.top, col + self.padding.left
        _, kh, kw = self.applied_kernel.shape[1:]
        _, oh, ow = self.output.shape
        sh, sw = self.stride
        dh, dw = self.dilation
        rows = [i for i in range(oh) if any(i * sh + a * dh == r for a in range(kh))]
        cols = [j for j in range(ow) if any(j * sw + b * dw == q for b in range(kw))]
        return [(i, j) for i in rows for j in cols]


def conv2d(
    x: np.ndarray | Sequence,
    kernel: np.ndarray | Sequence,
    bias: float | Sequence[float] | np.ndarray = 0.0,
    config: ConvConfig = ConvConfig(),
) -> ConvResult:
    """Cross-correlation (or true convolution with `flip`) of [C,H,W] with [F,C,kh,kw]."""
    xin = as_input(x)
    c, h, w = xin.shape
    weight = as_kernel(kernel, c)
    f, _, kh, kw = weight.shape
    stride = pair(config.stride, "stride", 1, 16)
    dilation = pair(config.dilation, "dilation", 1, 16)
    if config.activation not in ACTIVATIONS:
        raise GridError(f"unknown activation '{config.activation}': use one of {', '.join(ACTIVATIONS)}")
    b = np.broadcast_to(np.asarray(bias, dtype=np.float64).reshape(-1), (f,)).copy() \
        if np.size(bias) in (1, f) else None
    if b is None:
        raise GridError(f"give one bias or one per filter ({f}), not {np.size(bias)}")
    if not np.all(np.isfinite(b)):
        raise GridError("the bias must be a finite number")
    pad = resolve_padding(config.padding, (h, w), (kh, kw), stride, dilation)
    padded = pad_grid(xin, pad, config.pad_mode)
    hp, wp = padded.shape[1:]
    eff_h, eff_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if eff_h > hp or eff_w > wp:
        raise GridError(
            f"the kernel spans {eff_h}×{eff_w} cells (size {kh}×{kw}, dilation "
            f"{dilation[0]}×{dilation[1]}) but the padded input is only {hp}×{wp}: "
            "use a smaller kernel or dilation, or more padding"
        )
    oh = conv_output_size(h, kh, stride[0], dilation[0], *pad.rows)
    ow = conv_output_size(w, kw, stride[1], dilation[1], *pad.cols)
    applied = weight[:, :, ::-1, ::-1].copy() if config.flip else weight
    pre = correlate(padded, applied, stride, dilation) + b[:, None, None]
    post = apply_activation(config.activation, pre, config.leaky_slope)
    return ConvResult(
        input=xin, weight=weight, applied_kernel=applied, bias=b, config=config,
        padding=pad, padded=padded, pad_mask=padding_mask((h, w), pad),
        pre_activation=pre, output=post, stride=stride, dilation=dilation,
        unvisited_rows=unvisited_indices(h, kh, stride[0], dilation[0], pad.top, oh),
        unvisited_cols=unvisited_indices(w, kw, stride[1], dilation[1], pad.left, ow),
    )


def correlate(padded: np.ndarray, kernel: np.ndarray, stride: tuple[int, int] = (1, 1),
              dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Valid cross-correlation of an already padded [C,Hp,Wp] with [F,C,kh,kw], one slice per tap.

    Vectorised over positions (kh·kw array operations), so it serves both the small
    stepped grids and whole photos.
    """
    f, _, kh, kw = kernel.shape
    hp, wp = padded.shape[-2:]
    oh = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((f, oh, ow))
    for a in range(kh):
        for b in range(kw):
            r0, q0 = a * dilation[0], b * dilation[1]
            patch = padded[:, r0 : r0 + (oh - 1) * stride[0] + 1 : stride[0],
                           q0 : q0 + (ow - 1) * stride[1] + 1 : stride[1]]
            out += np.einsum("fc,chw->fhw", kernel[:, :, a, b], patch)
    return out


def conv1d(
    x: np.ndarray | Sequence,
    kernel: np.ndarray | Sequence,
    bias: float | Sequence[float] | np.ndarray = 0.0,
    stride: int = 1,
    padding: PaddingSpec = "valid",
    pad_mode: str = "zeros",
    dilation: int = 1,
    flip: bool = False,
    activation: str = "none",
    leaky_slope: float = 0.01,
) -> ConvResult:
    """A sequence [L] or [C,L] as a one-row grid, so 1-D shares the 2-D engine and trace."""
    xa = _as_float(x, "sequence")
    if xa.ndim == 1:
        xa = xa[None]
    if xa.ndim != 2:
        raise GridError("a sequence must be L or C×L numbers")
    ka = _as_float(kernel, "kernel")
    if ka.ndim == 1:
        ka = ka[None, None] if xa.shape[0] == 1 else np.repeat(ka[None, None], xa.shape[0], axis=1)
    elif ka.ndim == 2:
        ka = ka[None]
    if ka.ndim != 3:
        raise GridError("a 1-D kernel must be k, C×k or F×C×k numbers")
    if isinstance(padding, str):
        pad_spec: PaddingSpec = padding
    else:
        seq = [int(padding)] * 2 if isinstance(padding, (int, np.integer)) else [int(p) for p in padding]
        if len(seq) == 1:
            seq = seq * 2
        if len(seq) != 2:
            raise GridError("1-D padding needs 1 number or LEFT,RIGHT")
        pad_spec = (0, 0, seq[0], seq[1])
    cfg = ConvConfig(stride=(1, stride), padding=pad_spec, pad_mode=pad_mode, dilation=(1, dilation),
                     flip=flip, activation=activation, leaky_slope=leaky_slope)
    return conv2d(xa[:, None, :], ka[:, :, None, :], bias, cfg)
