"""The backward pass of convolution, ReLU and pooling, with traces learners can step through.

∂L/∂X is computed two ways that must agree number for number:
  * scatter — each output gradient g spreads g × kernel back onto its input window;
  * gather — a full convolution of the stride-dilated, padded upstream gradient with the
    180°-rotated kernel (computed by the forward engine, so it has the same step traces).
∂L/∂W is the correlation of the padded input with the (stride-dilated) upstream gradient,
∂L/∂b the sum of the upstream gradient. Cross-checked against torch.autograd in tests/ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.activations import activation_derivative
from cnnviz.grids.conv import ConvConfig, ConvResult, conv2d
from cnnviz.grids.padding import Padding
from cnnviz.grids.pool import PoolResult
from cnnviz.present.number_format import fmt, fmt_factor, join_sum


def _as_grad(grad: np.ndarray | Sequence, shape: tuple[int, ...], what: str = "upstream gradient") -> np.ndarray:
    try:
        g = np.asarray(grad, dtype=np.float64)
    except (TypeError, ValueError):
        raise GridError(f"the {what} must be a grid of numbers") from None
    if g.ndim == len(shape) - 1:
        g = g[None]
    if g.shape != shape:
        raise GridError(f"the {what} must have the output's shape {' × '.join(map(str, shape))}, "
                        f"not {' × '.join(map(str, g.shape))}")
    if not np.all(np.isfinite(g)):
        raise GridError(f"the {what} contains NaN or infinity")
    return g


def fold_padding(grad_padded: np.ndarray, shape: tuple[int, int], pad: Padding, mode: str) -> np.ndarray:
    """Gradient w.r.t. the unpadded grid: padding cells send theirs back to the cells they copy.

    For zero padding they are dropped; for reflect/replicate each padded cell is a copy of an
    input cell, so its gradient is added to that cell (what autograd does through F.pad).
    """
    h, w = shape
    src = np.arange(h * w).reshape(h, w)
    widths = [pad.rows, pad.cols]
    if mode == "zeros":
        idx = np.pad(src, widths, mode="constant", constant_values=-1)
    else:
        idx = np.pad(src, widths, mode="reflect" if mode == "reflect" else "edge")
    out = np.zeros((grad_padded.shape[0], h * w))
    keep = idx.ravel() >= 0
    for c in range(grad_padded.shape[0]):
        out[c] = np.bincount(idx.ravel()[keep], weights=grad_padded[c].ravel()[keep], minlength=h * w)
    return out.reshape(-1, h, w)


@dataclass(frozen=True)
class ScatterStep:
    """Output cell (f, i, j) spreading g × kernel onto its window."""

    index: int
    filter: int
    out_row: int
    out_col: int
    g: float
    cells: tuple[tuple[int, int, int], ...]  # (channel, padded row, padded col)
    contributions: tuple[float, ...]  # g × kernel weight for each cell
    running: np.ndarray  # [C,Hp,Wp] accumulated ∂L/∂(padded X) after this step

    def expression(self, channel: int = 0) -> str:
        parts = [f"{fmt_factor(self.g)}×{fmt_factor(v / self.g if self.g else 0)}"
                 for (c, _, _), v in zip(self.cells, self.contributions) if c == channel]
        return f"g = {fmt(self.g)} spreads g × kernel: " + ", ".join(parts)


@dataclass(frozen=True)
class WeightStep:
    """One shared weight's gradient: a sum over every position where it was used."""

    filter: int
    channel: int
    ki: int
    kj: int
    terms: tuple[tuple[int, int, int, int, float, float], ...]  # (out i, out j, padded r, padded c, x, g)
    value: float
    flipped_from: tuple[int, int] | None  # typed-kernel position when the kernel is flipped

    def expression(self) -> str:
        parts = [f"{fmt_factor(x)}×{fmt_factor(g)}" for *_, x, g in self.terms]
        return f"{join_sum(parts)} = {fmt(self.value)}"


@dataclass
class ConvGradResult:
    forward: ConvResult
    grad_output: np.ndarray  # [F,OH,OW] as given (w.r.t. the layer's output)
    grad_pre: np.ndarray  # [F,OH,OW] after the activation's derivative
    grad_padded: np.ndarray  # [C,Hp,Wp]
    grad_input: np.ndarray  # [C,H,W]
    grad_weight: np.ndarray  # [F,C,kh,kw] w.r.t. the typed kernel
    grad_bias: np.ndarray  # [F]
    gather: ConvResult  # the full convolution that recomputes grad_padded

    @property
    def n_scatter_steps(self) -> int:
        return self.grad_pre.size

    def scatter_step(self, index: int) -> ScatterStep:
        fwd = self.forward
        f_, oh, ow = self.grad_pre.shape
        index = int(np.clip(index, 0, self.n_scatter_steps - 1))
        running = np.zeros_like(self.grad_padded)
        k = fwd.applied_kernel
        _, c_, kh, kw = k.shape
        (sh, sw), (dh, dw) = fwd.stride, fwd.dilation
        cells, contrib = [], []
        for n in range(index + 1):
            f, rem = divmod(n, oh * ow)
            i, j = divmod(rem, ow)
            g = self.grad_pre[f, i, j]
            rows = slice(i * sh, i * sh + (kh - 1) * dh + 1, dh)
            cols = slice(j * sw, j * sw + (kw - 1) * dw + 1, dw)
            running[:, rows, cols] += g * k[f]
            if n == index:
                for c in range(c_):
                    for a in range(kh):
                        for b in range(kw):
                            cells.append((c, i * sh + a * dh, j * sw + b * dw))
                            contrib.append(float(g * k[f, c, a, b]))
        f, rem = divmod(index, oh * ow)
        i, j = divmod(rem, ow)
        return ScatterStep(index, f, i, j, float(self.grad_pre[f, i, j]), tuple(cells), tuple(contrib), running)

    @property
    def n_weight_steps(self) -> int:
        return self.grad_weight.size

    def weight_step(self, index: int) -> WeightStep:
        fwd = self.forward
        f_, c_, kh, kw = self.grad_weight.shape
        index = int(np.clip(index, 0, self.n_weight_steps - 1))
        f, rem = divmod(index, c_ * kh * kw)
        c, rem = divmod(rem, kh * kw)
        a, b = divmod(rem, kw)
        # the applied kernel position that this typed weight became
        aa, bb = (kh - 1 - a, kw - 1 - b) if fwd.config.flip else (a, b)
        (sh, sw), (dh, dw) = fwd.stride, fwd.dilation
        _, oh, ow = self.grad_pre.shape
        terms = tuple((i, j, i * sh + aa * dh, j * sw + bb * dw, float(fwd.padded[c, i * sh + aa * dh, j * sw + bb * dw]),
                       float(self.grad_pre[f, i, j])) for i in range(oh) for j in range(ow))
        return WeightStep(f, c, a, b, terms, float(self.grad_weight[f, c, a, b]), (aa, bb) if fwd.config.flip else None)

    def bias_expression(self, f: int = 0) -> str:
        parts = [fmt(v) for v in self.grad_pre[f].ravel()]
        return f"∂L/∂b = {join_sum(parts)} = {fmt(self.grad_bias[f])}"


def gather_input(grad_pre: np.ndarray, stride: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int],
                 padded_shape: tuple[int, int]) -> np.ndarray:
    """The upstream gradient with (S−1) zeros between entries, padded by D·(F−1) on each side
    (plus the rows/columns the forward windows never reached at the end)."""
    f_, oh, ow = grad_pre.shape
    (sh, sw), (kh, kw), (dh, dw) = stride, kernel, dilation
    dil = np.zeros((f_, (oh - 1) * sh + 1, (ow - 1) * sw + 1))
    dil[:, ::sh, ::sw] = grad_pre
    ph, pw = dh * (kh - 1), dw * (kw - 1)
    extra_h = padded_shape[0] - ((oh - 1) * sh + 1 + ph)
    extra_w = padded_shape[1] - ((ow - 1) * sw + 1 + pw)
    return np.pad(dil, [(0, 0), (ph, ph + extra_h), (pw, pw + extra_w)])


def conv_backward(forward: ConvResult, grad_output: np.ndarray | Sequence) -> ConvGradResult:
    """Gradients of a computed convolution (activation included) for an upstream ∂L/∂output."""
    g = _as_grad(grad_output, forward.output.shape)
    cfg = forward.config
    g_pre = g * activation_derivative(cfg.activation, forward.pre_activation, cfg.leaky_slope)
    k = forward.applied_kernel
    f_, c_, kh, kw = k.shape
    (sh, sw), (dh, dw) = forward.stride, forward.dilation
    _, oh, ow = g_pre.shape
    # scatter (vectorised over output cells, one slice per kernel tap)
    grad_padded = np.zeros_like(forward.padded)
    grad_k = np.zeros_like(k)
    for a in range(kh):
        for b in range(kw):
            rs = slice(a * dh, a * dh + (oh - 1) * sh + 1, sh)
            cs = slice(b * dw, b * dw + (ow - 1) * sw + 1, sw)
            grad_padded[:, rs, cs] += np.einsum("fc,fhw->chw", k[:, :, a, b], g_pre)
            grad_k[:, :, a, b] = np.einsum("fhw,chw->fc", g_pre, forward.padded[:, rs, cs])
    grad_w = grad_k[:, :, ::-1, ::-1].copy() if cfg.flip else grad_k
    grad_in = fold_padding(grad_padded, forward.input.shape[1:], forward.padding, cfg.pad_mode)
    # gather: the same numbers from a full convolution with the rotated kernel
    hp, wp = forward.padded.shape[1:]
    g_in = gather_input(g_pre, (sh, sw), (kh, kw), (dh, dw), (hp, wp))
    rotated = k[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # [C,F,kh,kw]
    gather = conv2d(g_in, rotated, 0.0, ConvConfig(dilation=(dh, dw)))
    return ConvGradResult(forward, g, g_pre, grad_padded, grad_in, grad_w, g_pre.sum(axis=(1, 2)), gather)


# ---- ReLU and pooling -------------------------------------------------------------------

@dataclass
class ReluGrad:
    pre: np.ndarray
    mask: np.ndarray
    grad_output: np.ndarray
    grad_input: np.ndarray


def relu_backward(pre: np.ndarray, grad_output: np.ndarray) -> ReluGrad:
    """ReLU passes the gradient where its input was > 0 and blocks it elsewhere (0 at x = 0, like torch)."""
    pre = np.asarray(pre, dtype=np.float64)
    g = _as_grad(grad_output, pre.shape)
    mask = (pre > 0).astype(np.float64)
    return ReluGrad(pre, mask, g, g * mask)


@dataclass(frozen=True)
class PoolGradStep:
    index: int
    channel: int
    out_row: int
    out_col: int
    g: float
    cells: tuple[tuple[int, int], ...]  # unpadded input cells receiving gradient from this window
    shares: tuple[float, ...]
    running: np.ndarray  # [C,H,W] after this step

    def expression(self, mode: str) -> str:
        if mode == "max":
            (r, c), = self.cells or ((-1, -1),)
            return f"g = {fmt(self.g)} goes to the maximum only, input ({r}, {c})" if self.cells else \
                f"g = {fmt(self.g)}: the maximum sits in padding, nothing flows back"
        share = self.shares[0] if self.shares else 0.0
        return (f"g = {fmt(self.g)} spread over the window: each of {len(self.cells)} input cells gets "
                f"{fmt(share)}" + (" (g / window size; padded cells' shares are dropped)" if mode == "avg" else ""))


@dataclass
class PoolGradResult:
    forward: PoolResult
    grad_output: np.ndarray
    grad_input: np.ndarray  # [C,H,W]
    receivers: np.ndarray  # [C,H,W] how many windows send gradient to each cell

    @property
    def n_steps(self) -> int:
        return self.grad_output.size

    def _routes(self, c: int, i: int, j: int) -> tuple[list[tuple[int, int]], list[float]]:
        fwd = self.forward
        cfg = fwd.config
        (kh, kw), (sh, sw), (ph, pw) = cfg.window, cfg.stride, cfg.padding
        g = self.grad_output[c, i, j]
        cells, shares = [], []
        window = [(i * sh + a, j * sw + b) for a in range(kh) for b in range(kw)]
        if cfg.mode == "max":
            assert fwd.argmax is not None  # max pooling records its arg-max
            r, q = window[int(fwd.argmax[c, i, j])]
            if not fwd.pad_mask[r, q]:
                cells, shares = [(r - ph, q - pw)], [g]
            return cells, shares
        out = fwd.output[c, i, j]
        for r, q in window:
            if fwd.pad_mask[r, q]:
                continue
            x = fwd.padded[c, r, q]
            share = {"avg": g / (kh * kw), "sum": g, "l2": g * x / out if out else 0.0}[cfg.mode]
            cells.append((r - ph, q - pw))
            shares.append(float(share))
        return cells, shares

    def step(self, index: int) -> PoolGradStep:
        c_, oh, ow = self.grad_output.shape
        index = int(np.clip(index, 0, self.n_steps - 1))
        running = np.zeros_like(self.grad_input)
        for n in range(index + 1):
            c, rem = divmod(n, oh * ow)
            i, j = divmod(rem, ow)
            cells, shares = self._routes(c, i, j)
            for (r, q), s in zip(cells, shares):
                running[c, r, q] += s
        return PoolGradStep(index, c, i, j, float(self.grad_output[c, i, j]), tuple(cells), tuple(shares), running)


def pool_backward(forward: PoolResult, grad_output: np.ndarray | Sequence) -> PoolGradResult:
    """Max routes each gradient to its window's first maximum (torch's rule for ties), overlapping
    windows add up; average spreads g / window size (count_include_pad); sum copies g; L2 g·x/out."""
    g = _as_grad(grad_output, forward.output.shape)
    res = PoolGradResult(forward, g, np.zeros_like(forward.input), np.zeros_like(forward.input))
    c_, oh, ow = g.shape
    for c in range(c_):
        for i in range(oh):
            for j in range(ow):
                cells, shares = res._routes(c, i, j)
                for (r, q), s in zip(cells, shares):
                    res.grad_input[c, r, q] += s
                    res.receivers[c, r, q] += 1
    return res
