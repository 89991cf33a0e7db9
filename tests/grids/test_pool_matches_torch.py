"""Pooling against torch.nn.functional on hundreds of random configurations."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.grids.pool import PoolConfig, pool2d
from tests.profiles import examples


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h, w = draw(st.integers(max(kh - 2 * ph, 1), 10)), draw(st.integers(max(kw - 2 * pw, 1), 10))
    c = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    ties = draw(st.booleans())
    x = rng.integers(0, 3, (c, h, w)).astype(float) if ties else rng.normal(size=(c, h, w))
    return x, PoolConfig((kh, kw), (sh, sw), (ph, pw), draw(st.sampled_from(["max", "avg", "sum", "l2"])))


@settings(max_examples=examples(600), deadline=None)
@given(pool_cases())
def test_pool2d_matches_torch_on_random_configurations(case):
    x, cfg = case
    res = pool2d(x, cfg)
    xt = torch.tensor(x)[None]
    if cfg.mode == "max":
        ref, idx = F.max_pool2d(xt, cfg.window, cfg.stride, cfg.padding, return_indices=True)
        # ties: the highlighted cell is the one torch routes the gradient to
        hp = x.shape[1] + 2 * cfg.padding[0]
        for step in map(res.step, range(res.n_steps)):
            r, q = step.cells[step.chosen]
            flat = (r - cfg.padding[0]) * x.shape[2] + (q - cfg.padding[1])
            assert flat == int(idx[0, step.channel, step.out_row, step.out_col]), hp
    elif cfg.mode == "avg":
        ref = F.avg_pool2d(xt, cfg.window, cfg.stride, cfg.padding, count_include_pad=True)
    elif cfg.mode == "sum":
        ref = F.avg_pool2d(xt, cfg.window, cfg.stride, cfg.padding, count_include_pad=True) * (cfg.window[0] * cfg.window[1])
    else:
        padded = F.pad(xt, (cfg.padding[1], cfg.padding[1], cfg.padding[0], cfg.padding[0]))
        ref = F.lp_pool2d(padded, 2, cfg.window, cfg.stride)
    np.testing.assert_allclose(res.output, ref[0].numpy(), atol=1e-9)


def test_lecture_max_pool_examples_give_the_true_maxima():
    from cnnviz.grids.presets import POOL_PRESETS

    assert pool2d(POOL_PRESETS["lecture_4x4"].input).output[0].tolist() == [[6, 8], [9, 7]]
    six = pool2d(POOL_PRESETS["lecture_6x6"].input).output[0]
    ref = F.max_pool2d(torch.tensor(POOL_PRESETS["lecture_6x6"].input, dtype=torch.float64)[None], 2)[0]
    np.testing.assert_array_equal(six, ref.numpy())


def test_each_channel_is_pooled_independently_and_depth_is_kept():
    x = np.random.default_rng(1).normal(size=(3, 6, 6))
    res = pool2d(x, PoolConfig((3, 3), (2, 2), (0, 0), "max"))
    assert res.output.shape == (3, 2, 2)
    for c in range(3):
        np.testing.assert_array_equal(res.output[c], pool2d(x[c], PoolConfig((3, 3), (2, 2))).output[0])
