"""Transposed convolution, its equivalent direct convolution, and convolution as a matrix.

A transposed convolution scatters each input cell's value × kernel into the output; it is
exactly the gradient of a convolution with respect to its input, which is why it is also
the transpose of the convolution's (sparse) matrix. Matches torch's conv_transpose2d.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.conv import ConvConfig, ConvResult, _as_float, conv2d
from cnnviz.grids.padding import pair
from cnnviz.grids.shapes import transposed_output_size
from cnnviz.present.number_format import fmt, fmt_factor

MAX_MATRIX_SIDE = 100


@dataclass(frozen=True)
class TransposedConfig:
    stride: tuple[int, int] = (2, 2)
    padding: tuple[int, int] = (0, 0)
    output_padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class TransposedStep:
    index: int
    channel: int
    row: int
    col: int
    x: float
    cells: tuple[tuple[int, int, int], ...]  # (out channel, canvas row, canvas col)
    contributions: tuple[float, ...]
    running: np.ndarray  # [C_out, Hc, Wc] canvas after this step

    def expression(self) -> str:
        parts = ", ".join(f"{fmt_factor(self.x)}×{fmt_factor(v / self.x if self.x else 0)}" for v in self.contributions[:9])
        more = " …" if len(self.contributions) > 9 else ""
        return f"input[{self.row}, {self.col}] = {fmt(self.x)} adds x × kernel: {parts}{more}"


@dataclass
class TransposedResult:
    input: np.ndarray  # [C_in,H,W]
    weight: np.ndarray  # [C_in,C_out,kh,kw]
    bias: np.ndarray  # [C_out]
    config: TransposedConfig
    canvas: np.ndarray  # [C_out,Hc,Wc] before cropping by the padding, without bias
    output: np.ndarray  # [C_out,OH,OW] with bias
    direct: ConvResult  # the equivalent direct convolution over the zero-inserted, padded input

    @property
    def n_steps(self) -> int:
        return self.input.size

    @property
    def crop(self) -> tuple[int, int, int, int]:
        """(top, left, height, width) of the output inside the canvas."""
        ph, pw = self.config.padding
        return ph, pw, self.output.shape[1], self.output.shape[2]

    def step(self, index: int) -> TransposedStep:
        c_, h, w = self.input.shape
        index = int(np.clip(index, 0, self.n_steps - 1))
        (sh, sw), (dh, dw) = self.config.stride, self.config.dilation
        _, co, kh, kw = self.weight.shape
        running = np.zeros_like(self.canvas)
        for n in range(index + 1):
            c, rem = divmod(n, h * w)
            i, j = divmod(rem, w)
            running[:, i * sh : i * sh + (kh - 1) * dh + 1 : dh, j * sw : j * sw + (kw - 1) * dw + 1 : dw] += \
                self.input[c, i, j] * self.weight[c]
        c, rem = divmod(index, h * w)
        i, j = divmod(rem, w)
        cells = tuple((o, i * sh + a * dh, j * sw + b * dw) for o in range(co) for a in range(kh) for b in range(kw))
        contrib = tuple(float(self.input[c, i, j] * self.weight[c, o, a, b])
                        for o in range(co) for a in range(kh) for b in range(kw))
        return TransposedStep(index, c, i, j, float(self.input[c, i, j]), cells, contrib, running)


def conv_transpose2d(x: np.ndarray | Sequence, kernel: np.ndarray | Sequence,
                     bias: float | Sequence[float] = 0.0, config: TransposedConfig = TransposedConfig()
                     ) -> TransposedResult:
    """torch.nn.functional.conv_transpose2d semantics; kernel [kh,kw] or [C_in,C_out,kh,kw]."""
    xa = _as_float(x, "input")
    if xa.ndim == 2:
        xa = xa[None]
    if xa.ndim != 3 or xa.size == 0:
        raise GridError("the input must be H×W or C×H×W numbers")
    if max(xa.shape[1:]) > 16:
        raise GridError("the transposed convolution's input is limited to 16 cells per side")
    wa = _as_float(kernel, "kernel")
    if wa.ndim == 2:
        wa = wa[None, None]
    if wa.ndim != 4 or wa.size == 0:
        raise GridError("the kernel must be k×k or C_in×C_out×k×k")
    if wa.shape[0] != xa.shape[0]:
        raise GridError(f"the kernel's first dimension ({wa.shape[0]}) must equal the input channels ({xa.shape[0]})")
    if max(wa.shape[2:]) > 7:
        raise GridError("kernels are limited to 7 cells per side")
    stride = pair(config.stride, "stride", 1, 16)
    dil = pair(config.dilation, "dilation", 1, 16)
    pad = pair(config.padding, "padding", 0, 16)
    opad = pair(config.output_padding, "output padding", 0, 16)
    for a in range(2):
        if opad[a] >= max(stride[a], dil[a]):
            raise GridError(f"output padding ({opad[a]}) must be smaller than the stride or the dilation, as in PyTorch")
    cfg = TransposedConfig(stride, pad, opad, dil)
    c_in, h, w = xa.shape
    _, c_out, kh, kw = wa.shape
    b = np.broadcast_to(np.asarray(bias, dtype=np.float64).reshape(-1), (c_out,)).copy() \
        if np.size(bias) in (1, c_out) else None
    if b is None:
        raise GridError(f"give one bias or one per output channel ({c_out})")
    oh = transposed_output_size(h, kh, stride[0], pad[0], dil[0], opad[0])
    ow = transposed_output_size(w, kw, stride[1], pad[1], dil[1], opad[1])
    if oh < 1 or ow < 1:
        raise GridError(f"the output would be {oh}×{ow}: use less padding")
    hc, wc = (h - 1) * stride[0] + dil[0] * (kh - 1) + 1 + opad[0], (w - 1) * stride[1] + dil[1] * (kw - 1) + 1 + opad[1]
    canvas = np.zeros((c_out, hc, wc))
    for a in range(kh):
        for bb in range(kw):
            r0, q0 = a * dil[0], bb * dil[1]
            canvas[:, r0 : r0 + (h - 1) * stride[0] + 1 : stride[0], q0 : q0 + (w - 1) * stride[1] + 1 : stride[1]] += \
                np.einsum("co,chw->ohw", wa[:, :, a, bb], xa)
    out = canvas[:, pad[0] : pad[0] + oh, pad[1] : pad[1] + ow] + b[:, None, None]
    # the same canvas as a direct convolution: zeros inserted between inputs, padded by D·(F−1)
    z = np.zeros((c_in, (h - 1) * stride[0] + 1, (w - 1) * stride[1] + 1))
    z[:, :: stride[0], :: stride[1]] = xa
    fh, fw = dil[0] * (kh - 1), dil[1] * (kw - 1)
    rotated = wa[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # [C_out,C_in,kh,kw]
    direct = conv2d(z, rotated, 0.0, ConvConfig(padding=(fh, fh + opad[0], fw, fw + opad[1]), dilation=dil))
    return TransposedResult(xa, wa, b, cfg, canvas, out, direct)


# ---- uneven overlap: the checkerboard (Odena, Dumoulin & Olah, Distill 2016) ------------------------------------

def overlap_counts(height: int, width: int, kernel: tuple[int, int], config: TransposedConfig = TransposedConfig()
                   ) -> np.ndarray:
    """How many input cells write each output cell of a transposed convolution (the padding's crop applied): the
    same count everywhere inside means even overlap; a kernel not divisible by the stride gives a checkerboard."""
    kh, kw = kernel
    if not (1 <= height <= 64 and 1 <= width <= 64 and 1 <= kh <= 7 and 1 <= kw <= 7):
        raise GridError("the input is limited to 64 cells per side and the kernel to 7")
    (sh, sw), (dh, dw) = config.stride, config.dilation
    if min(sh, sw, dh, dw) < 1:
        raise GridError("the stride and the dilation are whole numbers from 1")
    ph, pw = config.padding
    oph, opw = config.output_padding
    hc, wc = (height - 1) * sh + dh * (kh - 1) + 1 + oph, (width - 1) * sw + dw * (kw - 1) + 1 + opw
    canvas = np.zeros((hc, wc), dtype=int)
    for i in range(height):
        for j in range(width):
            canvas[i * sh : i * sh + (kh - 1) * dh + 1 : dh, j * sw : j * sw + (kw - 1) * dw + 1 : dw] += 1
    oh = transposed_output_size(height, kh, sh, ph, dh, oph)  # the canvas cropped by the padding on both sides
    ow = transposed_output_size(width, kw, sw, pw, dw, opw)
    if oh < 1 or ow < 1:
        raise GridError(f"the output would be {oh}×{ow}: use less padding")
    return canvas[ph : ph + oh, pw : pw + ow]


def overlap_sentence(kernel: tuple[int, int], config: TransposedConfig = TransposedConfig()) -> str:
    """Why the counts are what they are, in one sentence: judged away from any border (on an input large enough
    for the pattern to repeat), so a small grid whose middle is a single cell is judged right too."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, config.stride, config.dilation
    probe = overlap_counts(3 * kh * dh + 4, 3 * kw * dw + 4, kernel, TransposedConfig(config.stride, (0, 0), (0, 0),
                                                                                      config.dilation))
    bh, bw = (kh - 1) * dh + sh, (kw - 1) * dw + sw  # where fewer windows reach, and one stride more
    inner = probe[bh : probe.shape[0] - bh, bw : probe.shape[1] - bw]
    lo, hi = int(inner.min()), int(inner.max())
    if lo == hi:
        return (f"Away from the border every output cell is written by {lo} input cell(s): the kernel "
                f"({kh}×{kw}) is a multiple of the stride ({sh}×{sw}), so the overlap is even — a constant input "
                "through a uniform kernel gives a constant output there (a learned kernel must still give both "
                "phases the same sum).")
    uneven = sorted({f"{k} is not a multiple of the stride {s}" for k, s in zip(kernel, config.stride) if k % s})
    why = f"the kernel size {' and '.join(uneven)}" if uneven else "of the dilation"
    return (f"Inside, output cells are written by {lo} to {hi} input cells — uneven overlap, because {why}: a "
            "constant input through a uniform kernel comes out as a checkerboard, and a trained decoder has to "
            "fight it (Odena et al., 2016).")


def resize_convolution(x: np.ndarray | Sequence, kernel: np.ndarray | Sequence, stride: tuple[int, int]
                       ) -> np.ndarray:
    """The upsampling Odena et al. recommend instead: nearest-neighbour resize by the stride, then an ordinary
    convolution with 'same' padding (zeros) — every output cell reads the same number of cells, so no checkerboard."""
    xa = np.asarray(_as_float(x, "input"), dtype=float)
    ka = np.asarray(_as_float(kernel, "kernel"), dtype=float)
    if xa.ndim != 2 or ka.ndim != 2:
        raise GridError("resize-convolution takes one H×W input and one k×k kernel")
    up = np.repeat(np.repeat(xa, stride[0], axis=0), stride[1], axis=1)
    kh, kw = ka.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    return conv2d(up, ka, 0.0, ConvConfig(padding=(top, kh - 1 - top, left, kw - 1 - left))).output[0]


@dataclass
class ConvMatrix:
    matrix: np.ndarray  # [F·OH·OW, C·H·W]
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]


def conv_matrix(x_shape: tuple[int, int, int], kernel: np.ndarray, config: ConvConfig) -> ConvMatrix:
    """The matrix M with flatten(conv(x)) = M · flatten(x) (bias 0, no activation), column by column."""
    c, h, w = x_shape
    n = c * h * w
    cfg = ConvConfig(config.stride, config.padding, config.pad_mode, config.dilation, config.flip, "none")
    first = conv2d(np.zeros(x_shape), kernel, 0.0, cfg)
    m = first.output.size
    if n > MAX_MATRIX_SIDE or m > MAX_MATRIX_SIDE:
        raise GridError(f"the matrix would be {m}×{n}: use a configuration with at most {MAX_MATRIX_SIDE} inputs and outputs")
    cols = []
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1.0
        cols.append(conv2d(e.reshape(x_shape), kernel, 0.0, cfg).output.ravel())
    return ConvMatrix(np.stack(cols, axis=1), x_shape, tuple(first.output.shape))
