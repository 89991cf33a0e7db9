"""Shift the input, watch the output: where convolution and pooling are equivariant, where they are invariant, and why
they stop being either.

Equivariance: f(shift(x)) = shift'(f(x)), with shift' the input's shift divided by the stride — which exists only when
the shift is a multiple of the stride. Cells shifted in are zeros, so a window that reaches the input's edge (its
padding, or the zeros shifted in) sees different numbers in the two cases: the only place a convolution's
equivariance breaks. Invariance — the notes' claim for pooling — is f(shift(x)) = f(x): counted cell by cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.conv import ConvConfig, conv2d
from cnnviz.grids.pool import PoolConfig, pool2d
from cnnviz.grids.questions import Question
from cnnviz.present.number_format import fmt

MAX_SHIFT = 3
ATOL = 1e-9

# why an output cell of f(shift(x)) differs from the shifted output (the words the page and the CLI show)
SHIFTED_IN = "shifted in: its counterpart in the original output lies outside it, so a zero stands there"
BORDER = "its window reaches the edge: there it sees padding or the zeros shifted in, where the original saw input"


def parse_shift(text: str) -> tuple[int, int]:
    """"DY,DX" (down and right; negative: up and left), each −3…3 — what the CLI's --shift and a link's shift= take."""
    parts = str(text).split(",")
    try:
        dy, dx = (int(p) for p in parts)
    except ValueError:
        raise GridError(f"a shift is DY,DX: two whole numbers (got '{text}')") from None
    check_shift(dy, dx)
    return dy, dx


def check_shift(dy: int, dx: int) -> None:
    if not (abs(dy) <= MAX_SHIFT and abs(dx) <= MAX_SHIFT):
        raise GridError(f"shift each way by −{MAX_SHIFT}…{MAX_SHIFT} cells (got {dy}, {dx})")


def shift_grid(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """x moved down by dy and right by dx (negative: up, left) on its last two axes; cells shifted in are zeros."""
    out = np.zeros_like(x)
    h, w = x.shape[-2:]
    src = x[..., max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    out[..., max(0, dy) : max(0, dy) + src.shape[-2], max(0, dx) : max(0, dx) + src.shape[-1]] = src
    return out


def shifted_in(shape: tuple[int, int], dy: int, dx: int) -> np.ndarray:
    """True where `shift_grid` put a zero that came from outside the grid."""
    return shift_grid(np.ones(shape, dtype=bool), dy, dx) == 0


@dataclass(frozen=True)
class ShiftComparison:
    """f of the shifted input beside the output shifted (when the shift is a multiple of the stride), cell by cell."""

    shift: tuple[int, int]
    input_shifted: np.ndarray  # [C,H,W]
    output: np.ndarray  # f(x), [F,oh,ow]
    f_of_shifted: np.ndarray  # f(shift(x))
    output_shift: tuple[int, int] | None  # the shift divided by the stride; None when it does not divide
    shifted_f: np.ndarray | None  # shift'(f(x)), zeros shifted in
    agree: np.ndarray | None  # f_of_shifted == shifted_f, per cell
    unchanged: np.ndarray  # f_of_shifted == f(x), per cell: invariance

    @property
    def agree_cells(self) -> int:
        return int(self.agree.sum()) if self.agree is not None else 0

    @property
    def compared_cells(self) -> int:
        return int(self.agree.size) if self.agree is not None else 0

    def why(self, f: int, i: int, j: int) -> str | None:
        """Why f(shift(x)) and the shifted output differ at this cell (None where they agree)."""
        if self.agree is None or self.output_shift is None or self.agree[f, i, j]:
            return None
        ody, odx = self.output_shift
        h, w = self.output.shape[1:]
        return SHIFTED_IN if not (0 <= i - ody < h and 0 <= j - odx < w) else BORDER

    @property
    def came_in(self) -> np.ndarray:
        """[H,W]: True where the shifted input holds a zero that came from outside the grid."""
        return shifted_in(self.input_shifted.shape[-2:], *self.shift)

    def reasons(self, f: int = 0) -> dict[str, int]:
        """How many cells of filter `f` differ for each reason (shifted in first, then the border)."""
        if self.agree is None:
            return {}
        whys = [self.why(f, i, j) for (i, j), ok in np.ndenumerate(self.agree[f]) if not ok]
        return {why: whys.count(why) for why in (SHIFTED_IN, BORDER) if why in whys}

    def summary(self) -> str:
        """The comparison in one or two sentences."""
        dy, dx = self.shift
        kept = f"{int(self.unchanged.sum())} of {self.unchanged.size} output cells keep their value (invariance)"
        if self.output_shift is None:
            return (f"A shift of ({dy}, {dx}) is not a multiple of the stride: the output has no shifted copy of "
                    f"itself to compare with — equivariance needs the shift divisible by the stride. {kept}.")
        ody, odx = self.output_shift
        return (f"f(shift(x)) equals the output shifted by ({ody}, {odx}) at {self.agree_cells} of "
                f"{self.compared_cells} cells; the others sit at the border (why: per cell). {kept}.")


def compare_shift(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, shift: tuple[int, int],
                  stride: tuple[int, int]) -> ShiftComparison:
    """The comparison for any grid operation `f` ([C,H,W] → [F,oh,ow]) of the given stride."""
    dy, dx = shift
    check_shift(dy, dx)
    xs = shift_grid(x, dy, dx)
    out, moved = f(x), f(xs)
    if moved.shape != out.shape:
        raise GridError("the shifted input gives an output of another size")  # never, for a zero-filled shift
    divisible = dy % stride[0] == 0 and dx % stride[1] == 0
    output_shift = (dy // stride[0], dx // stride[1]) if divisible else None
    shifted_f = shift_grid(out, *output_shift) if output_shift is not None else None
    agree = np.isclose(moved, shifted_f, rtol=0, atol=ATOL) if shifted_f is not None else None
    return ShiftComparison((dy, dx), xs, out, moved, output_shift, shifted_f, agree,
                           np.isclose(moved, out, rtol=0, atol=ATOL))


STAYS, CHANGES = "yes", "no"


def shift_question(res: ShiftComparison) -> Question | None:
    """Predict, then see: will the strongest cell of f(x) (first filter) keep its value under the shift? None when
    there is no shift to ask about."""
    if res.shift == (0, 0):
        return None
    out = res.output[0]
    i, j = (int(k) for k in np.unravel_index(int(np.argmax(np.abs(out))), out.shape))
    was, now = out[i, j], res.f_of_shifted[0, i, j]
    kept = bool(res.unchanged[0, i, j])
    because = f"f(shift(x))[{i}, {j}] = {fmt(now)}" + (" — the same number." if kept else f", not {fmt(was)}.")
    if res.output_shift is not None and res.output_shift != (0, 0):
        ody, odx = res.output_shift
        because += f" The output moves with its input, by ({ody}, {odx}) cells"
        because += ": what changes is where a value sits, not the values." if not kept else \
            ", yet this cell's neighbourhood held the same value."
    elif res.output_shift is None:
        because += " The shift is not a multiple of the stride, so the windows now cover other cells."
    dy, dx = res.shift
    return Question(f"Will output[{i}, {j}] still be {fmt(was)} after the shift by ({dy}, {dx})?",
                    STAYS if kept else CHANGES, because, choices=(STAYS, CHANGES))


def conv_shift(x: np.ndarray, kernel: np.ndarray, config: ConvConfig, shift: tuple[int, int],
               bias: float = 0.0) -> ShiftComparison:
    """Convolution under a shift of its input (zero padding: a reflected border would move with the shift)."""
    if config.pad_mode != "zeros":
        raise GridError("shift the input with zero padding (a reflected or replicated border moves with the input)")
    first = conv2d(x, kernel, bias, config)
    return compare_shift(lambda g: conv2d(g, kernel, bias, config).output, first.input, shift, first.stride)


def pool_shift(x: np.ndarray, config: PoolConfig, shift: tuple[int, int]) -> ShiftComparison:
    first = pool2d(x, config)
    return compare_shift(lambda g: pool2d(g, config).output, first.input, shift, config.stride)


def rotation_check(x: np.ndarray, config: PoolConfig) -> tuple[int, int, bool] | None:
    """The notes' claim that pooling gives rotation invariance, put to the test: (output cells unchanged when the
    input is rotated by 90°, output cells, whether the pooled output merely rotates with it); None when the turned
    grid pools to another shape (or no longer fits the window), so nothing can be compared."""
    first = pool2d(x, config)
    try:
        turned = pool2d(np.rot90(first.input, axes=(-2, -1)).copy(), config).output
    except GridError:  # turned, a tall grid may no longer fit a tall window
        return None
    if turned.shape != first.output.shape:
        return None
    same = int(np.isclose(turned, first.output, rtol=0, atol=ATOL).sum())
    expected = np.rot90(first.output, axes=(-2, -1))
    rotates = expected.shape == turned.shape and bool(np.allclose(turned, expected, rtol=0, atol=ATOL))
    return same, first.output.size, rotates


def rotation_sentence(x: np.ndarray, config: PoolConfig) -> str:
    """The notes' rotation claim, answered from this grid's numbers."""
    claim = "**Rotation?** One set of notes says pooling's biggest advantage is rotational invariance. Turned by 90°, "
    check = rotation_check(x, config)
    if check is None:
        return claim + "this grid pools to another shape altogether: nothing to compare, and no invariance."
    same, total, rotates = check
    return (claim + f"this input keeps {same} of its {total} pooled values"
            + (" — the pooled output turns with the input instead: pooling is no more rotation-invariant than the "
               "grid it pools." if rotates else
               " — pooling follows the input's content, not its orientation: no rotation invariance.")
            + ("" if same < total else " (this grid is symmetric enough to look the same turned)"))
