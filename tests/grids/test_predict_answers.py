"""Predict first: every question's answer is the number torch computes (on many random cases), the output-size
question is checked against torch's output shape, and answers are judged with the stated tolerance."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.ops
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz.detect.boxes import nms
from cnnviz.grids.activations import INFO
from cnnviz.grids.backward import conv_backward
from cnnviz.grids.conv import conv2d
from cnnviz.grids.padding import resolve_padding
from cnnviz.grids.pool import pool2d
from cnnviz.grids.questions import (
    KEEP,
    SUPPRESS,
    AnswerError,
    Question,
    activation_question,
    answer_to_text,
    conv_question,
    conv_size_question,
    histogram,
    nms_question,
    pool_question,
    pool_size_question,
    question_from_dict,
    question_to_dict,
    scatter_question,
    transposed_question,
    transposed_size_question,
    weight_question,
)
from cnnviz.grids.transposed import conv_transpose2d
from tests.grids.test_conv_matches_torch import TORCH_ACT, TORCH_PAD, _valid, conv_cases
from tests.grids.test_pool_matches_torch import pool_cases
from tests.grids.test_transposed_matches_torch import _torch, transposed_cases
from tests.profiles import examples


def _torch_conv(x, w, b, cfg, requires_grad=False):
    xt = torch.tensor(x, requires_grad=requires_grad)
    k = torch.flip(torch.tensor(w), dims=(-2, -1)) if cfg.flip else torch.tensor(w)
    pad = resolve_padding(cfg.padding, x.shape[1:], w.shape[2:], cfg.stride, cfg.dilation)
    xp = F.pad(xt[None], (pad.left, pad.right, pad.top, pad.bottom), mode=TORCH_PAD[cfg.pad_mode])
    return xp, k, TORCH_ACT[cfg.activation](F.conv2d(xp, k, torch.tensor(b), stride=cfg.stride,
                                                     dilation=cfg.dilation), cfg.leaky_slope)[0]


@settings(max_examples=examples(200), deadline=None)
@given(conv_cases(), st.integers(0, 10_000))
def test_convolution_questions_ask_for_what_torch_computes(case, pick):
    x, w, b, cfg = case
    assume(_valid(x, w, cfg))
    res = conv2d(x, w, b, cfg)
    _, _, ref = _torch_conv(x, w, b, cfg)
    i = pick % res.n_steps
    f, rem = divmod(i, ref.shape[1] * ref.shape[2])
    r, c = divmod(rem, ref.shape[2])
    q = conv_question(res, i)
    assert q.answer == pytest.approx(float(ref[f, r, c]), abs=1e-9)
    assert q.hide == (("output", ((r, c),)),)
    later = {(s.out_row, s.out_col) for s in map(res.step, range(i + 1, res.n_steps)) if s.filter == f}
    assert q.not_reached == (("output", tuple(sorted(later))),)  # exactly the cells the next steps reveal
    size = conv_size_question(res)
    assert size.answer == (1, ref.shape[2]) if size.prompt.startswith("What length") else size.answer == tuple(ref.shape[1:])


@settings(max_examples=examples(200), deadline=None)
@given(pool_cases(), st.integers(0, 10_000))
def test_pooling_questions_ask_for_what_torch_computes(case, pick):
    x, cfg = case
    res = pool2d(x, cfg)
    xt = torch.tensor(x)[None]
    ref = {"max": lambda: F.max_pool2d(xt, cfg.window, cfg.stride, cfg.padding),
           "avg": lambda: F.avg_pool2d(xt, cfg.window, cfg.stride, cfg.padding, count_include_pad=True),
           "sum": lambda: F.avg_pool2d(xt, cfg.window, cfg.stride, cfg.padding, count_include_pad=True)
           * cfg.window[0] * cfg.window[1],
           "l2": lambda: F.lp_pool2d(F.pad(xt, (cfg.padding[1],) * 2 + (cfg.padding[0],) * 2), 2, cfg.window,
                                     cfg.stride)}[cfg.mode]()[0]
    i = pick % res.n_steps
    c, rem = divmod(i, ref.shape[1] * ref.shape[2])
    r, q_ = divmod(rem, ref.shape[2])
    q = pool_question(res, i)
    assert q.answer == pytest.approx(float(ref[c, r, q_]), abs=1e-9)
    later = {(s.out_row, s.out_col) for s in map(res.step, range(i + 1, res.n_steps)) if s.channel == c}
    assert [set(cells) for _, cells in q.not_reached] == [later]
    assert pool_size_question(res).answer == tuple(ref.shape[1:])


TORCH_F = {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "leaky_relu": F.leaky_relu}


@settings(max_examples=examples(200), deadline=None)
@given(st.sampled_from(sorted(TORCH_F)), st.integers(0, 2**31 - 1), st.floats(0.0, 1.0))
def test_activation_questions_ask_for_what_torch_computes(name, seed, slope):
    x = np.random.default_rng(seed).normal(0, 4, (3, 4)).round(2)
    i = seed % x.size
    q = activation_question(name, INFO[name].title, x, i, slope)
    t = torch.tensor(x)
    ref = F.leaky_relu(t, slope) if name == "leaky_relu" else TORCH_F[name](t)
    assert q.answer == pytest.approx(float(ref.flatten()[i]), abs=1e-12)


@settings(max_examples=examples(150), deadline=None)
@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_backward_questions_ask_for_what_autograd_computes(case, seed):
    """Scatter: ∂L/∂X so far after output cells 0…i is autograd's gradient of Σ over those cells of g·y; gather and
    ∂L/∂W: the full gradients."""
    x, w, b, cfg = case
    assume(_valid(x, w, cfg))
    fwd = conv2d(x, w, b, cfg)
    g = np.random.default_rng(seed).normal(size=fwd.output.shape).round(2)
    grad = conv_backward(fwd, g)
    i = seed % grad.n_scatter_steps
    mask = (np.arange(g.size) <= i).reshape(g.shape)
    xt = torch.tensor(x)
    pad = resolve_padding(cfg.padding, x.shape[1:], w.shape[2:], cfg.stride, cfg.dilation)
    xp = F.pad(xt[None], (pad.left, pad.right, pad.top, pad.bottom), mode=TORCH_PAD[cfg.pad_mode]).detach()
    xp.requires_grad_(True)
    wt = torch.tensor(w, requires_grad=True)
    k = torch.flip(wt, dims=(-2, -1)) if cfg.flip else wt
    y = TORCH_ACT[cfg.activation](F.conv2d(xp, k, torch.tensor(b), stride=cfg.stride, dilation=cfg.dilation),
                                  cfg.leaky_slope)[0]
    (y * torch.tensor(g * mask)).sum().backward()
    s = grad.scatter_step(i)
    c, r, q = next(cell for cell in s.cells if cell[0] == 0)
    assert scatter_question(grad, i, 0).answer == pytest.approx(float(xp.grad[0, c, r, q]), abs=1e-8)
    xp.grad = None
    wt.grad = None
    y = TORCH_ACT[cfg.activation](F.conv2d(xp, k if not cfg.flip else torch.flip(wt, dims=(-2, -1)),
                                           torch.tensor(b), stride=cfg.stride, dilation=cfg.dilation),
                                  cfg.leaky_slope)[0]
    y.backward(torch.tensor(g))
    j = seed % grad.gather.n_steps
    gs = grad.gather.step(j)
    assert conv_question(grad.gather, j).answer == pytest.approx(float(xp.grad[0, gs.filter, gs.out_row, gs.out_col]), abs=1e-8)
    n = seed % grad.n_weight_steps
    ws = grad.weight_step(n)
    assert weight_question(grad, n).answer == pytest.approx(float(wt.grad[ws.filter, ws.channel, ws.ki, ws.kj]),
                                                            abs=1e-8)


@settings(max_examples=examples(150), deadline=None)
@given(transposed_cases(), st.integers(0, 10_000))
def test_transposed_questions_ask_for_what_torch_computes(case, pick):
    """The canvas so far after input cells 0…i is torch's transposed convolution of just those cells (uncropped)."""
    x, w, b, cfg = case
    try:
        ref = _torch(x, w, b, cfg)
    except RuntimeError:  # no output at all: the page says why (tested with the transposed convolution)
        return
    res = conv_transpose2d(x, w, b, cfg)
    i = pick % res.n_steps
    only = np.where((np.arange(x.size) <= i).reshape(x.shape), x, 0.0)
    canvas = F.conv_transpose2d(torch.tensor(only)[None], torch.tensor(w), stride=cfg.stride,
                                dilation=cfg.dilation)[0]
    c, r, q = res.step(i).cells[0]
    assert transposed_question(res, i).answer == pytest.approx(float(canvas[c, r, q]), abs=1e-9)
    assert transposed_size_question(res).answer == tuple(ref.shape[1:])


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(2, 8), st.integers(0, 2**31 - 1), st.floats(0.1, 0.9))
def test_nms_questions_agree_with_torchvision_iou(n, seed, t):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 60, (n, 2))
    boxes = np.hstack([xy, xy + rng.uniform(5, 40, (n, 2))]).round(1)
    scores = rng.permutation(n) / n + 0.05
    res = nms(boxes, scores, t)
    iou = torchvision.ops.box_iou(torch.tensor(boxes), torch.tensor(boxes)).numpy()
    for i, step in enumerate(res.steps):
        q = nms_question(boxes, scores, res, i, t)
        if q is None:
            assert not step.survivors and not step.suppressed
            continue
        j = int(q.prompt.split("Box #")[2].split(":")[0])
        assert q.answer == (SUPPRESS if iou[j, step.kept] > t else KEEP)
    assert [s.kept for s in res.steps] == torchvision.ops.nms(torch.tensor(boxes), torch.tensor(scores), t).tolist()


def test_integers_are_exact_and_other_numbers_right_to_two_decimals():
    whole = Question("?", 18.0, "")
    assert whole.is_right(whole.parse("18")) and not whole.is_right(whole.parse("18.001"))
    frac = Question("?", 0.7311, "")
    assert frac.is_right(frac.parse("0.73")) and frac.is_right(frac.parse("0,73")) and frac.is_right(frac.parse("0.735"))
    assert not frac.is_right(frac.parse("0.725")) and not frac.is_right(frac.parse("0.74"))
    assert whole.tolerance_text == "Exact answer needed." and "2 decimals" in frac.tolerance_text


@pytest.mark.parametrize(("text", "said"), [("", "Type your prediction"), ("abc", "Not a number"),
                                            ("1e400", "too large"), ("9" * 40, "characters"),
                                            ("1e300", "far outside")])
def test_bad_answers_are_refused_in_words(text, said):
    with pytest.raises(AnswerError, match=said):
        Question("?", 18.0, "").parse(text)


def test_sizes_and_choices_parse_as_people_type_them():
    size = Question("?", (3, 5), "")
    for text in ("3x5", "3 × 5", "3 X 5", "3,5", "3 5", "3*5"):
        assert size.parse(text) == (3, 5)
    with pytest.raises(AnswerError, match="rows × columns"):
        size.parse("3 by 5")
    with pytest.raises(AnswerError, match="both"):
        size.parse("5")
    assert Question("?", (1, 5), "").parse("5") == (1, 5)  # 1-D: a length
    choice = Question("?", KEEP, "", choices=(KEEP, SUPPRESS))
    assert choice.parse("Suppress") == SUPPRESS
    with pytest.raises(AnswerError, match="keep or suppress"):
        choice.parse("maybe")


def test_verdicts_name_the_true_value_and_the_arithmetic():
    q = Question("What is output[0, 0]?", 18.0, "6×1 + 3×0 + … = 18")
    assert q.verdict(18.0) == (True, "Right: 18, because 6×1 + 3×0 + … = 18")
    assert q.verdict(17.0) == (False, "Not quite — it is 18, because 6×1 + 3×0 + … = 18")


def test_a_question_survives_the_class_store_and_answers_group_into_a_histogram():
    res = conv2d(np.arange(16.0).reshape(4, 4), np.ones((2, 2)))
    q = conv_question(res, 0)
    assert question_from_dict(question_to_dict(q)) == q
    answers = [q.parse(answer_to_text(a)) for a in (10.0, 10.0, 9.0, q.answer)]
    assert histogram(q, answers) == [("9", 1, False), ("10", 3, True)]
