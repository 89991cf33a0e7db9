"""Every gradient against torch.autograd on hundreds of random configurations."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz.grids.backward import conv_backward, pool_backward, relu_backward
from cnnviz.grids.conv import conv2d
from cnnviz.grids.padding import resolve_padding
from cnnviz.grids.pool import PoolConfig, pool2d
from tests.grids.test_conv_matches_torch import TORCH_ACT, TORCH_PAD, _valid, conv_cases
from tests.profiles import examples


def torch_grads(x, w, b, cfg, g):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    k = torch.flip(wt, dims=(-2, -1)) if cfg.flip else wt
    pad = resolve_padding(cfg.padding, x.shape[1:], w.shape[2:], cfg.stride, cfg.dilation)
    xp = F.pad(xt[None], (pad.left, pad.right, pad.top, pad.bottom), mode=TORCH_PAD[cfg.pad_mode])
    y = TORCH_ACT[cfg.activation](F.conv2d(xp, k, bt, stride=cfg.stride, dilation=cfg.dilation), cfg.leaky_slope)[0]
    y.backward(torch.tensor(g))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@settings(max_examples=examples(400), deadline=None)
@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_conv_gradients_match_autograd(case, seed):
    x, w, b, cfg = case
    assume(_valid(x, w, cfg))
    fwd = conv2d(x, w, b, cfg)
    g = np.random.default_rng(seed).normal(size=fwd.output.shape).round(2)
    res = conv_backward(fwd, g)
    gx, gw, gb = torch_grads(x, w, b, cfg, g)
    np.testing.assert_allclose(res.grad_input, gx, atol=1e-8)
    np.testing.assert_allclose(res.grad_weight, gw, atol=1e-8)
    np.testing.assert_allclose(res.grad_bias, gb, atol=1e-8)
    # the gather view (full convolution with the rotated kernel) gives the same numbers
    np.testing.assert_allclose(res.gather.output, res.grad_padded, atol=1e-9)


@settings(max_examples=examples(60), deadline=None)
@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_scatter_steps_accumulate_to_the_gradient_and_weight_steps_sum_their_terms(case, seed):
    x, w, b, cfg = case
    assume(_valid(x, w, cfg))
    fwd = conv2d(x, w, b, cfg)
    res = conv_backward(fwd, np.random.default_rng(seed).normal(size=fwd.output.shape))
    last = res.scatter_step(res.n_scatter_steps - 1)
    np.testing.assert_allclose(last.running, res.grad_padded, atol=1e-9)
    for n in range(0, res.n_weight_steps, max(1, res.n_weight_steps // 5)):
        s = res.weight_step(n)
        assert sum(x * g for *_, x, g in s.terms) == pytest.approx(s.value, abs=1e-9)
        assert len(s.terms) == fwd.output.shape[1] * fwd.output.shape[2]  # used at every position


@st.composite
def pool_grad_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h, w = draw(st.integers(max(kh - 2 * ph, 1), 9)), draw(st.integers(max(kw - 2 * pw, 1), 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    ties = draw(st.booleans())
    x = rng.integers(0, 3, (2, h, w)).astype(float) if ties else rng.normal(size=(2, h, w))
    return x, PoolConfig((kh, kw), (sh, sw), (ph, pw), draw(st.sampled_from(["max", "avg", "sum", "l2"]))), rng


@settings(max_examples=examples(300), deadline=None)
@given(pool_grad_cases())
def test_pool_gradients_match_autograd_including_ties_and_overlap(case):
    x, cfg, rng = case
    fwd = pool2d(x, cfg)
    if cfg.mode == "l2":
        assume(np.all(fwd.output > 1e-6))
    g = rng.normal(size=fwd.output.shape)
    res = pool_backward(fwd, g)
    xt = torch.tensor(x, requires_grad=True)
    if cfg.mode == "max":
        y = F.max_pool2d(xt[None], cfg.window, cfg.stride, cfg.padding)
    elif cfg.mode in ("avg", "sum"):
        y = F.avg_pool2d(xt[None], cfg.window, cfg.stride, cfg.padding) * (
            cfg.window[0] * cfg.window[1] if cfg.mode == "sum" else 1)
    else:
        y = F.lp_pool2d(F.pad(xt[None], (cfg.padding[1],) * 2 + (cfg.padding[0],) * 2), 2, cfg.window, cfg.stride)
    y[0].backward(torch.tensor(g))
    np.testing.assert_allclose(res.grad_input, xt.grad.numpy(), atol=1e-8)
    last = res.step(res.n_steps - 1)
    np.testing.assert_allclose(last.running, res.grad_input, atol=1e-9)


def test_overlapping_max_pool_windows_sum_at_a_shared_maximum():
    x = np.zeros((5, 5))
    x[2, 2] = 9  # the centre is the maximum of all four overlapping 3×3 / stride-2 windows
    res = pool_backward(pool2d(x, PoolConfig((3, 3), (2, 2))), np.ones((2, 2)))
    assert res.grad_input[0, 2, 2] == 4 and res.receivers[0, 2, 2] == 4
    assert res.grad_input.sum() == 4


def test_max_pool_ties_go_to_the_first_maximum_like_torch():
    x = np.ones((2, 2))
    res = pool_backward(pool2d(x, PoolConfig((2, 2), (2, 2))), np.array([[5.0]]))
    assert res.grad_input[0].tolist() == [[5, 0], [0, 0]]


def test_relu_backward_is_the_mask():
    pre = np.array([[-2.0, 3, 0], [4, -5, 6]])
    r = relu_backward(pre, np.full((2, 3), 2.0))
    assert r.grad_input.tolist() == [[0, 2, 0], [2, 0, 2]]
    t = torch.tensor(pre, requires_grad=True)
    F.relu(t).backward(torch.full((2, 3), 2.0, dtype=torch.float64))
    np.testing.assert_array_equal(r.grad_input, t.grad.numpy())
