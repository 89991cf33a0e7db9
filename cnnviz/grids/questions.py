"""Predict, then see: the question each stepper asks before it shows a step, and how an answer is checked.

Learners gain from a visualisation when they commit to an answer before seeing it. Each stepper's step
becomes one `Question`: what to predict, the true answer (read from the engine's own result, never
recomputed), the arithmetic that explains it, and which cells of the step's figure hide the answer
until it is revealed. The same questions serve predict mode, "Ask the class" and the tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.present.number_format import fmt, fmt_factor

Cell = tuple[int, int]
Later = tuple[str, int, int, int]  # (panel title prefix, plane rows, plane columns, first cell not reached yet)
KEEP, SUPPRESS = "keep", "suppress"
MAX_ANSWER_CHARS = 24  # an answer longer than this is not a prediction of a grid cell
TOLERANCE = 0.005  # non-integer answers: right when they agree to 2 decimals


class AnswerError(CnnvizError):
    """An answer that cannot be checked (empty, not a number, absurd): said under the box, nothing counted."""


@dataclass(frozen=True)
class Question:
    """One thing to predict. `answer` is a number, a (rows, columns) size, or "keep"/"suppress"."""

    prompt: str
    answer: float | tuple[int, int] | str
    because: str  # the arithmetic, revealed with the verdict
    hide: tuple[tuple[str, tuple[Cell, ...]], ...] = ()  # (panel title prefix, its cells) hidden until revealed
    choices: tuple[str, ...] = ()  # a choice instead of a number (NMS)
    later: tuple[Later, ...] = ()  # the cells of the steps after this one (row-major): blank until reached

    @property
    def not_reached(self) -> tuple[tuple[str, tuple[Cell, ...]], ...]:
        """The later steps' cells, (panel title prefix, cells) as the figures take them: the next answers."""
        return tuple((panel, tuple(divmod(k, w) for k in range(first, h * w))) for panel, h, w, first in self.later)

    @property
    def key(self) -> str:
        """Identifies the question (and so its answer) across reruns: the same step of the same grids."""
        return f"{self.prompt}|{self.answer_text}"

    @property
    def kind(self) -> str:
        return "choice" if self.choices else "size" if isinstance(self.answer, tuple) else "number"

    @property
    def exact(self) -> bool:
        """Integers (and sizes, and choices) must match exactly; other numbers to 2 decimals."""
        return not isinstance(self.answer, float) or float(self.answer).is_integer()

    @property
    def tolerance_text(self) -> str:
        if self.kind != "number":
            return ""
        return "Exact answer needed." if self.exact else "Right when it agrees to 2 decimals."

    @property
    def answer_text(self) -> str:
        return answer_label(self.answer)

    @property
    def told(self) -> str:
        """The answer and its arithmetic, for whoever did not answer (the teacher's reveal, a student who sent none)."""
        return f"The answer: {self.answer_text}, because {self.because}"

    def parse(self, text: str | None) -> float | tuple[int, int] | str:
        """What the learner typed → a comparable answer; AnswerError in words when it cannot be one."""
        return parse_answer(self, text)

    def is_right(self, given: float | tuple[int, int] | str) -> bool:
        if isinstance(self.answer, (str, tuple)):
            return given == self.answer
        assert isinstance(given, float)
        if self.exact:
            return abs(given - self.answer) < 1e-9
        return abs(given - self.answer) <= TOLERANCE + 1e-12

    def verdict(self, given: float | tuple[int, int] | str) -> tuple[bool, str]:
        """(right?, the words: "Right" or "Not quite — it is 18, because …")."""
        if self.is_right(given):
            return True, f"Right: {self.answer_text}, because {self.because}"
        return False, f"Not quite — it is {self.answer_text}, because {self.because}"


_INT = re.compile(r"\d{1,6}")


def parse_answer(q: Question, text: str | None) -> float | tuple[int, int] | str:
    from cnnviz.grids.text import parse_number

    t = str(text or "").strip()
    if not t:
        raise AnswerError("Type your prediction first.")
    if q.kind == "choice":  # any case; the choice as the question spells it
        chosen = next((c for c in q.choices if c.lower() == t.lower()), None)
        if chosen is None:
            raise AnswerError(f"Choose {' or '.join(q.choices)}.")
        return chosen
    if len(t) > MAX_ANSWER_CHARS:
        raise AnswerError(f"That is {len(t)} characters: a prediction here is a short number.")
    if q.kind == "size":
        parts = [p for p in re.split(r"\s*(?:[x×X*,]|\s)\s*", t) if p]
        if not all(_INT.fullmatch(p) for p in parts) or len(parts) not in (1, 2):
            raise AnswerError(f"Type the size as rows × columns, like 3 × 3 (got {t!r}).")
        nums = [int(p) for p in parts]
        assert isinstance(q.answer, tuple)
        if len(nums) == 1:
            if q.answer[0] != 1:
                raise AnswerError("Type both: rows × columns, like 3 × 3.")
            nums = [1, nums[0]]
        return nums[0], nums[1]
    try:
        v = parse_number(t)
    except ValueError as e:
        raise AnswerError(f"Not a number: {e}. Type a number like 18, −0.5 or 1.25.") from None
    if not math.isfinite(v) or abs(v) > 1e12:
        raise AnswerError(f"{t} is far outside anything this step can produce: type the value you expect.")
    return float(v)


# ---- one question per stepper -------------------------------------------------------------------------------

def _after(panel: str, shape: tuple[int, ...], row: int, col: int) -> Later:
    """The cells a row-major stepper reaches after (row, col) in a plane of `shape` (every stepper goes so)."""
    return panel, int(shape[0]), int(shape[1]), int(row) * int(shape[1]) + int(col) + 1


def conv_question(result, index: int, name: str = "output", panel: str = "output") -> Question:
    """The value of one output cell of a convolution (a ConvResult's step), named as its view names it."""
    s = result.step(index)
    f_ = result.output.shape[0]
    one_d = result.input.shape[1] == 1 and result.output.shape[1] == 1
    where = f"{name}[{s.out_col}]" if one_d else f"{name}[{s.out_row}, {s.out_col}]"
    if f_ > 1:
        where = f"{name}[{s.filter}]" + where[len(name):]
    because = s.expression() if result.input.shape[0] == 1 else "; ".join(s.channel_expressions()) + \
        "; total " + s.total_expression()
    return Question(f"What is {where}?", float(s.value), because, ((panel, ((s.out_row, s.out_col),)),),
                    later=(_after(panel, result.output.shape[1:], s.out_row, s.out_col),))


def pool_question(result, index: int) -> Question:
    s = result.step(index)
    multi = result.output.shape[0] > 1
    where = f"output[{s.channel}][{s.out_row}, {s.out_col}]" if multi else f"output[{s.out_row}, {s.out_col}]"
    panel = f"{result.config.mode} pool output"
    return Question(f"What is {where} ({result.config.mode} pooling)?", float(s.value), s.expression(),
                    ((panel, ((s.out_row, s.out_col),)),), later=(_after(panel, result.output.shape[1:], s.out_row,
                                                                          s.out_col),))


def activation_question(name: str, title: str, x: np.ndarray, index: int, slope: float = 0.01) -> Question:
    """f(x) of one cell; the derivative is shown with the answer."""
    from cnnviz.grids.activations import apply_activation, cell_arithmetic

    r, c = divmod(index, x.shape[1])
    v = float(apply_activation(name, np.array([float(x[r, c])]), slope)[0])
    value, _ = cell_arithmetic(name, float(x[r, c]), slope)
    panels = (f"{title}(x)", "derivative at x")
    return Question(f"What is {title}({fmt(float(x[r, c]))}) at cell ({r}, {c})?", v, value,
                    tuple((p, ((r, c),)) for p in panels), later=tuple(_after(p, x.shape, r, c) for p in panels))


def accumulation_question(prompt: str, panel: str, before: np.ndarray, after: np.ndarray, cell: tuple[int, int, int],
                          factors: tuple[float, float]) -> Question:
    """A running sum after one step (backward scatter, transposed convolution): before + a × b at one cell."""
    c, r, q = cell
    b, a = float(before[c, r, q]), float(after[c, r, q])
    because = f"{fmt(b)} (so far) + {fmt_factor(factors[0])}×{fmt_factor(factors[1])} = {fmt(a)}"
    return Question(prompt, a, because, ((panel, ((r, q),)),))


def scatter_question(grad, index: int, channel: int = 0) -> Question:
    """Backward, scatter view: ∂L/∂X so far in the top-left cell of this step's window (in the shown channel)."""
    s = grad.scatter_step(index)
    before = grad.scatter_step(index - 1).running if index > 0 else np.zeros_like(s.running)
    k = next(n for n, (c, _, _) in enumerate(s.cells) if c == channel)
    c, r, q = s.cells[k]
    w = float(grad.forward.applied_kernel[s.filter, c].ravel()[0])
    where = f"∂L/∂Y[{s.filter}][{s.out_row}, {s.out_col}]" if grad.grad_pre.shape[0] > 1 else \
        f"∂L/∂Y[{s.out_row}, {s.out_col}]"
    return accumulation_question(f"After {where} = {fmt(s.g)} spreads back, what is ∂L/∂X so far in the top-left "
                                 "cell of its window?", "∂L/∂X", before, s.running, (c, r, q), (s.g, w))


def weight_question(grad, index: int) -> Question:
    ws = grad.weight_step(index)
    f_, c_ = grad.forward.weight.shape[:2]
    where = f"∂L/∂W[{ws.ki}, {ws.kj}]" if f_ * c_ == 1 else f"∂L/∂W[{ws.filter}][{ws.channel}][{ws.ki}, {ws.kj}]"
    return Question(f"What is {where}?", float(ws.value), ws.expression(), (("∂L/∂W", ((ws.ki, ws.kj),)),),
                    later=(_after("∂L/∂W", grad.grad_weight.shape[2:], ws.ki, ws.kj),))


def transposed_question(res, index: int) -> Question:
    """Transposed convolution, scatter view: the canvas so far at the top-left cell this input cell writes to."""
    s = res.step(index)
    before = res.step(index - 1).running if index > 0 else np.zeros_like(s.running)
    c, r, q = s.cells[0]
    w = float(res.weight[s.channel, c, 0, 0])
    return accumulation_question(f"After input[{s.row}, {s.col}] = {fmt(s.x)} is added, what is the canvas so far in "
                                 "the top-left cell it writes to?", "canvas so far", before, s.running, (c, r, q),
                                 (s.x, w))


def nms_question(boxes: np.ndarray, scores: np.ndarray, res, index: int, threshold: float) -> Question | None:
    """NMS step: will the highest-scoring other box still in the running be kept or suppressed by this step's box?"""
    from cnnviz.detect.boxes import box_iou

    step = res.steps[index]
    running = [step.kept] + list(step.survivors) + [j for j, _ in step.suppressed]
    others = sorted((j for j in running if j != step.kept), key=lambda j: -float(scores[j]))
    if not others:
        return None
    j = others[0]
    iou = float(box_iou(boxes[[j]], boxes[[step.kept]])[0, 0])
    gone = j in dict(step.suppressed)
    rel = ">" if gone else "≤"
    because = (f"IoU(#{j}, #{step.kept}) = {iou:.3f} {rel} the threshold {threshold:g}: box #{step.kept} (score "
               f"{float(scores[step.kept]):g}, the best left) " + ("suppresses it." if gone else "leaves it in the running."))
    return Question(f"Box #{step.kept} is kept now. Box #{j}: keep or suppress?", SUPPRESS if gone else KEEP,
                    because, choices=(KEEP, SUPPRESS))


# ---- the output size, before the first step ----------------------------------------------------------------------

def size_question(out_hw: tuple[int, int], because: str, one_d: bool = False) -> Question:
    prompt = "What length will the output be?" if one_d else "What size will the output be? (rows × columns)"
    return Question(prompt, (1 if one_d else int(out_hw[0]), int(out_hw[1])), because)


def conv_size_question(result) -> Question:
    from cnnviz.grids.shapes import conv_output_formula

    _, h, w = result.input.shape
    _, _, kh, kw = result.applied_kernel.shape
    (sh, sw), (dh, dw), p = result.stride, result.dilation, result.padding
    cols = conv_output_formula(w, kw, sw, dw, p.left, p.right)
    one_d = h == 1 and result.output.shape[1] == 1 and kh == 1
    if one_d:
        return size_question(result.output.shape[1:], f"length {cols}", True)
    rows = conv_output_formula(h, kh, sh, dh, p.top, p.bottom)
    return size_question(result.output.shape[1:], f"rows {rows}; columns {cols}")


def pool_size_question(result) -> Question:
    from cnnviz.grids.shapes import pool_output_formula

    _, h, w = result.input.shape
    cfg = result.config
    rows = pool_output_formula(h, cfg.window[0], cfg.stride[0], cfg.padding[0])
    cols = pool_output_formula(w, cfg.window[1], cfg.stride[1], cfg.padding[1])
    return size_question(result.output.shape[1:], f"rows {rows}; columns {cols}")


def transposed_size_question(res) -> Question:
    from cnnviz.grids.shapes import transposed_output_formula

    _, h, w = res.input.shape
    _, _, kh, kw = res.weight.shape
    cfg = res.config

    def one(n: int, k: int, i: int) -> str:
        return transposed_output_formula(n, k, cfg.stride[i], cfg.padding[i], cfg.dilation[i], cfg.output_padding[i])

    return size_question(res.output.shape[1:], f"rows {one(h, kh, 0)}; columns {one(w, kw, 1)}")


def score_text(right: int, checked: int, skipped: int = 0) -> str:
    """The running score, e.g. "7 of 9 right" (and how many were skipped)."""
    text = f"{right} of {checked} right"
    return text + (f" · {skipped} skipped" if skipped else "")


def answer_label(a: float | tuple[int, int] | str) -> str:
    """An answer as a learner reads it: 18, 0.25, 3 × 3 (a size of one row: its length), keep."""
    if isinstance(a, tuple):
        return f"{a[0]} × {a[1]}" if a[0] != 1 else f"{a[1]}"
    return a if isinstance(a, str) else fmt(a)


def histogram(q: Question, answers: Sequence[float | tuple[int, int] | str]) -> list[tuple[str, int, bool]]:
    """The class's answers grouped for a bar chart: (label, count, is it the right answer?), by value."""
    counts: dict[str, int] = {}
    right: dict[str, bool] = {}
    order: dict[str, float] = {}
    for a in answers:
        label = answer_label(a)
        counts[label] = counts.get(label, 0) + 1
        right[label] = q.is_right(a)
        order[label] = float(a) if isinstance(a, float) else 0.0
    labels = sorted(counts, key=lambda k: (order[k], k))
    return [(k, counts[k], right[k]) for k in labels]


def question_to_dict(q: Question) -> dict:
    """A question as plain JSON-able data (it travels to every student through the class store)."""
    return {"prompt": q.prompt, "answer": list(q.answer) if isinstance(q.answer, tuple) else q.answer,
            "because": q.because, "hide": [[p, [list(c) for c in cells]] for p, cells in q.hide],
            "choices": list(q.choices), "later": [list(x) for x in q.later]}


def question_from_dict(d: dict) -> Question:
    a = d["answer"]
    answer: float | tuple[int, int] | str = (int(a[0]), int(a[1])) if isinstance(a, list) else \
        a if isinstance(a, str) else float(a)
    hide = tuple((str(p), tuple((int(r), int(c)) for r, c in cells)) for p, cells in d.get("hide", []))
    later = tuple((str(p), int(h), int(w), int(k)) for p, h, w, k in d.get("later", []))
    return Question(str(d["prompt"]), answer, str(d["because"]), hide, tuple(str(c) for c in d.get("choices", [])),
                    later)


def answer_to_text(a: float | tuple[int, int] | str) -> str:
    """An answer as the class store keeps it (what `Question.parse` reads back)."""
    return f"{a[0]}x{a[1]}" if isinstance(a, tuple) else a if isinstance(a, str) else repr(float(a))
