"""Shifting the input: f(shift(x)) and the shifted output equal torch's, on many random grids, strides, paddings,
dilations and shifts of every residue; equivariance fails only at the border, and pooling is not rotation-invariant."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.errors import GridError
from cnnviz.grids.conv import ConvConfig
from cnnviz.grids.pool import PoolConfig
from cnnviz.grids.shift import BORDER, SHIFTED_IN, conv_shift, pool_shift, rotation_check, shift_grid


def torch_shift(t: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """torch.roll on the last two axes, with the cells that wrapped around zeroed."""
    out = torch.roll(t, shifts=(dy, dx), dims=(-2, -1)).clone()
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


shifts = st.tuples(st.integers(-3, 3), st.integers(-3, 3))


@settings(max_examples=80, deadline=None)
@given(st.integers(5, 9), st.integers(5, 9), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2),
       st.integers(1, 2), shifts, st.integers(0, 10_000))
def test_conv_under_a_shift_equals_torch(h, w, k, s, p, d, shift, seed):
    rng = np.random.default_rng(seed)
    x, kern = rng.integers(-5, 6, (h, w)).astype(float), rng.integers(-2, 3, (k, k)).astype(float)
    if d * (k - 1) + 1 > min(h, w) + 2 * p:
        return
    res = conv_shift(x, kern, ConvConfig(stride=(s, s), padding=p, dilation=(d, d)), shift)
    tx, tk = torch.tensor(x)[None, None], torch.tensor(kern)[None, None]
    conv = lambda t: F.conv2d(t, tk, stride=s, padding=p, dilation=d)[0]  # noqa: E731
    np.testing.assert_allclose(res.f_of_shifted, conv(torch_shift(tx, *shift)).numpy(), atol=1e-9)
    if shift[0] % s or shift[1] % s:
        assert res.output_shift is None and res.shifted_f is None and res.compared_cells == 0
        return
    ody, odx = shift[0] // s, shift[1] // s
    assert res.output_shift == (ody, odx)
    np.testing.assert_allclose(res.shifted_f, torch_shift(conv(tx), ody, odx).numpy(), atol=1e-9)
    assert res.agree_cells == int(np.isclose(res.f_of_shifted, res.shifted_f).sum())
    for (f, i, j), ok in np.ndenumerate(res.agree):
        assert (res.why(f, i, j) is None) == ok
        if not ok:  # the only way equivariance breaks: the border
            assert res.why(f, i, j) in (SHIFTED_IN, BORDER)


@settings(max_examples=60, deadline=None)
@given(st.integers(4, 9), st.integers(4, 9), st.integers(1, 3), st.integers(1, 3), shifts,
       st.sampled_from(["max", "avg"]), st.integers(0, 10_000))
def test_pooling_under_a_shift_equals_torch(h, w, k, s, shift, mode, seed):
    x = np.random.default_rng(seed).integers(0, 9, (h, w)).astype(float)
    res = pool_shift(x, PoolConfig((k, k), (s, s), (0, 0), mode), shift)
    pool = (lambda t: F.max_pool2d(t, k, s)[0]) if mode == "max" else (lambda t: F.avg_pool2d(t, k, s)[0])
    tx = torch.tensor(x)[None, None]
    np.testing.assert_allclose(res.f_of_shifted, pool(torch_shift(tx, *shift)).numpy(), atol=1e-9)
    np.testing.assert_array_equal(res.unchanged, np.isclose(res.f_of_shifted, pool(tx).numpy(), rtol=0, atol=1e-9))


def test_a_convolution_without_borders_is_exactly_equivariant_inside():
    """A shift of one stride on a grid whose border is zero anyway: every cell agrees."""
    x = np.zeros((9, 9))
    x[3:6, 3:6] = np.arange(9).reshape(3, 3)
    res = conv_shift(x, np.array([[1.0, -1], [2, 0]]), ConvConfig(), (1, 1))
    assert res.agree_cells == res.compared_cells == 64


def test_the_notes_max_pooling_figure_most_outputs_stay_under_a_one_cell_shift():
    """Goodfellow et al.'s Fig. 9.8 numbers: a detector row shifted right by one; most max-pooled outputs stay."""
    detector = np.array([[0.1, 1.0, 0.2, 0.1]])
    shifted = np.array([[0.3, 0.1, 1.0, 0.2]])
    pooled = lambda r: np.array([max(r[0, max(0, i - 1): i + 2]) for i in range(4)])  # noqa: E731 - width 3, stride 1
    assert (pooled(detector) == np.array([1.0, 1.0, 1.0, 0.2])).all()
    assert (pooled(shifted) == np.array([0.3, 1.0, 1.0, 1.0])).all()
    res = pool_shift(np.pad(detector, ((1, 1), (1, 1))), PoolConfig((3, 3), (1, 1), (0, 0), "max"), (0, 1))
    assert 0 < res.unchanged.sum() < res.unchanged.size  # partly, not wholly, invariant


def test_max_pooling_does_not_give_rotation_invariance():
    """One set of notes claims it does: a 90° turn of the input moves the pooled maxima with it instead."""
    x = np.array([[9, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]], dtype=float)
    check = rotation_check(x, PoolConfig((2, 2), (2, 2), (0, 0), "max"))
    assert check is not None
    same, total, rotates = check
    assert total == 4 and same == 0 and rotates  # the output turns with the input: equivariant, not invariant


def test_shift_grid_moves_down_and_right_and_zeros_the_cells_shifted_in():
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    assert shift_grid(x, 1, -1).tolist() == [[0, 0, 0], [2, 3, 0], [5, 6, 0]]


def test_shifts_beyond_three_cells_and_other_borders_are_refused_in_words():
    with pytest.raises(GridError, match="−3…3"):
        conv_shift(np.ones((5, 5)), np.ones((2, 2)), ConvConfig(), (4, 0))
    with pytest.raises(GridError, match="zero padding"):
        conv_shift(np.ones((5, 5)), np.ones((2, 2)), ConvConfig(padding=1, pad_mode="reflect"), (1, 0))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 10_000))
def test_the_rotation_check_answers_for_any_grid_and_window(h, w, kh, kw, sh, sw, seed):
    from cnnviz.grids.shift import rotation_sentence

    if kh > h or kw > w:
        return
    x = np.random.default_rng(seed).integers(0, 9, (h, w)).astype(float)
    cfg = PoolConfig((kh, kw), (sh, sw), (0, 0), "max")
    check = rotation_check(x, cfg)
    pooled = F.max_pool2d(torch.tensor(x)[None, None], (kh, kw), (sh, sw))[0].numpy()
    turned = (F.max_pool2d(torch.tensor(np.rot90(x).copy())[None, None], (kh, kw), (sh, sw))[0].numpy()
              if kh <= w and kw <= h else None)  # the turned grid may no longer fit the window
    if turned is None or turned.shape != pooled.shape:
        assert check is None
    else:
        assert check is not None and check[0] == int(np.isclose(turned, pooled).sum()) and check[1] == pooled.size
    assert "Rotation?" in rotation_sentence(x, cfg)
