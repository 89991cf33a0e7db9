"""The grid engine against torch.nn.functional on hundreds of random configurations."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnnviz.grids.activations import apply_activation
from cnnviz.grids.conv import ConvConfig, conv1d, conv2d
from cnnviz.grids.padding import resolve_padding
from tests.profiles import examples

TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate"}
TORCH_ACT = {"none": lambda t, s: t, "relu": lambda t, s: F.relu(t), "leaky_relu": lambda t, s: F.leaky_relu(t, s),
             "sigmoid": lambda t, s: torch.sigmoid(t), "tanh": lambda t, s: torch.tanh(t)}


def torch_conv2d(x, w, b, cfg: ConvConfig) -> np.ndarray:
    """Reference: explicit F.pad (any mode) then F.conv2d; flip = rotate the kernel by 180°."""
    xt = torch.tensor(x, dtype=torch.float64)[None]
    wt = torch.tensor(w, dtype=torch.float64)
    if cfg.flip:
        wt = torch.flip(wt, dims=(-2, -1))
    pad = resolve_padding(cfg.padding, x.shape[1:], w.shape[2:], cfg.stride, cfg.dilation)
    xt = F.pad(xt, (pad.left, pad.right, pad.top, pad.bottom), mode=TORCH_PAD[cfg.pad_mode])
    out = F.conv2d(xt, wt, torch.tensor(b, dtype=torch.float64), stride=cfg.stride, dilation=cfg.dilation)
    return TORCH_ACT[cfg.activation](out, cfg.leaky_slope)[0].numpy()


@st.composite
def conv_cases(draw):
    c = draw(st.integers(1, 3))
    f = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate"]))
    pad_kind = draw(st.sampled_from(["valid", "same", "full", "explicit"]))
    h = draw(st.integers(max(dh * (kh - 1) + 1, 2), max(dh * (kh - 1) + 3, 9)))
    w = draw(st.integers(max(dw * (kw - 1) + 1, 2), max(dw * (kw - 1) + 3, 9)))
    if pad_kind == "explicit":
        limit = 3 if mode != "reflect" else 1
        padding = tuple(draw(st.integers(0, min(limit, n - 1 if mode == "reflect" else limit)))
                        for n in (h, h, w, w))
    else:
        padding = pad_kind
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    integer = draw(st.booleans())
    x = rng.integers(-9, 10, (c, h, w)).astype(float) if integer else rng.normal(size=(c, h, w))
    k = rng.integers(-3, 4, (f, c, kh, kw)).astype(float) if integer else rng.normal(size=(f, c, kh, kw))
    b = rng.normal(size=f).round(2)
    cfg = ConvConfig(stride=(sh, sw), padding=padding, pad_mode=mode, dilation=(dh, dw), flip=draw(st.booleans()),
                     activation=draw(st.sampled_from(["none", "relu", "leaky_relu", "sigmoid", "tanh"])),
                     leaky_slope=0.1)
    return x, k, b, cfg


def _valid(x, k, cfg) -> bool:
    pad = resolve_padding(cfg.padding, x.shape[1:], k.shape[2:], cfg.stride, cfg.dilation)
    if cfg.pad_mode == "reflect" and (max(pad.rows) >= x.shape[1] or max(pad.cols) >= x.shape[2]):
        return False
    hp, wp = x.shape[1] + pad.top + pad.bottom, x.shape[2] + pad.left + pad.right
    return cfg.dilation[0] * (k.shape[2] - 1) < hp and cfg.dilation[1] * (k.shape[3] - 1) < wp


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_cases())
def test_conv2d_matches_torch_on_random_configurations(case):
    x, k, b, cfg = case
    assume(_valid(x, k, cfg))
    res = conv2d(x, k, b, cfg)
    np.testing.assert_allclose(res.output, torch_conv2d(x, k, b, cfg), rtol=1e-9, atol=1e-9)


@settings(max_examples=examples(100), deadline=None)
@given(conv_cases())
def test_every_step_trace_reproduces_its_output_cell(case):
    x, k, b, cfg = case
    assume(_valid(x, k, cfg))
    res = conv2d(x, k, b, cfg)
    for i in range(0, res.n_steps, max(1, res.n_steps // 7)):
        s = res.step(i)
        assert sum(t.product for t in s.terms) + s.bias == pytest.approx(s.pre_activation, abs=1e-9)
        assert sum(s.channel_sums) + s.bias == pytest.approx(s.pre_activation, abs=1e-9)
        assert apply_activation(cfg.activation, np.array(s.pre_activation), 0.1) == pytest.approx(s.value)
        assert res.output[s.filter, s.out_row, s.out_col] == pytest.approx(s.value)


def test_same_padding_matches_torch_same_for_stride_one():
    rng = np.random.default_rng(0)
    for kh, kw, d in [(3, 3, 1), (2, 4, 1), (4, 2, 2), (5, 1, 1)]:
        x = rng.normal(size=(2, 7, 8))
        k = rng.normal(size=(3, 2, kh, kw))
        ours = conv2d(x, k, 0.0, ConvConfig(padding="same", dilation=(d, d))).output
        ref = F.conv2d(torch.tensor(x)[None], torch.tensor(k), padding="same", dilation=d)[0].numpy()
        np.testing.assert_allclose(ours, ref, atol=1e-10)


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(3, 20), st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(1, 2), st.integers(0, 10_000), st.booleans())
def test_conv1d_matches_torch(length, k, stride, dilation, pad, channels, filters, seed, flip):
    assume(dilation * (k - 1) + 1 <= length + 2 * pad)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(channels, length))
    w = rng.normal(size=(filters, channels, k))
    b = rng.normal(size=filters)
    res = conv1d(x, w, b, stride=stride, padding=pad, dilation=dilation, flip=flip)
    wt = torch.tensor(w)
    if flip:
        wt = torch.flip(wt, dims=(-1,))
    ref = F.conv1d(torch.tensor(x)[None], wt, torch.tensor(b), stride=stride, padding=pad, dilation=dilation)[0]
    np.testing.assert_allclose(res.output[:, 0, :], ref.numpy(), atol=1e-10)


def test_lecture_worked_example_has_the_quoted_cell():
    from cnnviz.grids.presets import LECTURE_7X7, LECTURE_7X7_KERNEL

    res = conv2d(LECTURE_7X7, LECTURE_7X7_KERNEL)
    step = res.step(res.step_index(0, 4, 0))
    assert step.value == 16
    assert step.expression(skip_zero_weights=True) == "5×1 + 1×1 + 8×1 + 1×2 + 0 = 16"
    ref = F.conv2d(torch.tensor(LECTURE_7X7, dtype=torch.float64)[None, None],
                   torch.tensor(LECTURE_7X7_KERNEL, dtype=torch.float64)[None, None])[0, 0].numpy()
    np.testing.assert_array_equal(res.output[0], ref)


def test_multichannel_preset_has_the_documented_shape_and_parameter_count():
    from cnnviz.grids.presets import CONV_PRESETS

    p = CONV_PRESETS["rgb_32"]
    res = conv2d(p.input, p.kernel, p.bias, ConvConfig(padding=p.padding))
    assert res.output.shape == (10, 32, 32)
    assert res.n_params == 760 == 10 * (3 * 5 * 5 + 1)
    step = res.step(res.step_index(3, 5, 7))
    assert len(step.channel_sums) == 3 and len(step.terms) == 75


def test_unvisited_rows_are_reported_for_stride_three():
    res = conv2d(np.arange(25.0).reshape(5, 5), np.ones((3, 3)), 0, ConvConfig(stride=(3, 3)))
    assert res.output.shape == (1, 1, 1)
    assert res.unvisited_rows == [3, 4] and res.unvisited_cols == [3, 4]


def test_outputs_fed_by_agrees_with_the_step_windows():
    res = conv2d(np.ones((6, 7)), np.ones((3, 2)), 0, ConvConfig(stride=(2, 1), padding=1, dilation=(1, 2)))
    for r in range(6):
        for c in range(7):
            fed = set(res.outputs_fed_by(r, c))
            expected = {(s.out_row, s.out_col) for s in map(res.step, range(res.n_steps))
                        if any(t.row == r + 1 and t.col == c + 1 for t in s.terms)}
            assert fed == expected
