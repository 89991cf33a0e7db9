"""Transposed convolution against torch, its direct-convolution twin, and the convolution matrix."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz.errors import GridError
from cnnviz.grids.backward import conv_backward
from cnnviz.grids.conv import ConvConfig, conv2d
from cnnviz.grids.transposed import TransposedConfig, conv_matrix, conv_transpose2d
from tests.profiles import examples


@st.composite
def transposed_cases(draw):
    ci, co = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    oph = draw(st.integers(0, max(sh, dh) - 1))
    opw = draw(st.integers(0, max(sw, dw) - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return (rng.normal(size=(ci, h, w)), rng.normal(size=(ci, co, kh, kw)), rng.normal(size=co),
            TransposedConfig((sh, sw), (ph, pw), (oph, opw), (dh, dw)))


def _torch(x, w, b, cfg):
    return F.conv_transpose2d(torch.tensor(x)[None], torch.tensor(w), torch.tensor(b), stride=cfg.stride,
                              padding=cfg.padding, output_padding=cfg.output_padding, dilation=cfg.dilation)[0].numpy()


@settings(max_examples=examples(400), deadline=None)
@given(transposed_cases())
def test_conv_transpose_matches_torch_and_its_direct_convolution(case):
    x, w, b, cfg = case
    try:
        ref = _torch(x, w, b, cfg)
    except RuntimeError:
        with pytest.raises(GridError):
            conv_transpose2d(x, w, b, cfg)
        return
    res = conv_transpose2d(x, w, b, cfg)
    np.testing.assert_allclose(res.output, ref, atol=1e-9)
    np.testing.assert_allclose(res.direct.output, res.canvas, atol=1e-9)
    np.testing.assert_allclose(res.step(res.n_steps - 1).running, res.canvas, atol=1e-9)


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(2, 6), st.integers(2, 6), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1),
       st.integers(1, 2), st.integers(0, 2**31 - 1))
def test_transposed_convolution_is_the_gradient_of_convolution(h, w, k, s, p, d, seed):
    assume(d * (k - 1) + 1 <= min(h, w) + 2 * p)
    rng = np.random.default_rng(seed)
    x, kern = rng.normal(size=(h, w)), rng.normal(size=(k, k))
    fwd = conv2d(x, kern, 0.0, ConvConfig(stride=(s, s), padding=p, dilation=(d, d)))
    g = rng.normal(size=fwd.output.shape[1:])
    grad = conv_backward(fwd, g).grad_input[0]
    oh = h - ((g.shape[0] - 1) * s - 2 * p + d * (k - 1) + 1)
    ow = w - ((g.shape[1] - 1) * s - 2 * p + d * (k - 1) + 1)
    assume(oh < max(s, d) and ow < max(s, d))
    tr = conv_transpose2d(g, kern, 0.0, TransposedConfig((s, s), (p, p), (oh, ow), (d, d)))
    np.testing.assert_allclose(tr.output[0], grad, atol=1e-9)
    m = conv_matrix((1, h, w), kern, ConvConfig(stride=(s, s), padding=p, dilation=(d, d)))
    np.testing.assert_allclose(m.matrix @ x.ravel(), fwd.output.ravel(), atol=1e-9)
    np.testing.assert_allclose(m.matrix.T @ g.ravel(), grad.ravel(), atol=1e-9)


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    with pytest.raises(GridError, match="output padding"):
        conv_transpose2d(np.ones((2, 2)), np.ones((3, 3)), 0, TransposedConfig((1, 1), (0, 0), (1, 1), (1, 1)))


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 2), st.integers(1, 2))
@settings(max_examples=examples(60), deadline=None)
def test_the_overlap_counts_are_a_direct_count_and_torchs_transposed_convolution_of_ones(h, w, kh, kw, sh, sw, p, d):
    from cnnviz.grids.transposed import overlap_counts

    cfg = TransposedConfig((sh, sw), (p, p), (0, 0), (d, d))
    try:
        counts = overlap_counts(h, w, (kh, kw), cfg)
    except GridError:
        assume(False)
    ones = F.conv_transpose2d(torch.ones(1, 1, h, w, dtype=torch.float64), torch.ones(1, 1, kh, kw,
                              dtype=torch.float64), stride=(sh, sw), padding=p, dilation=d)[0, 0].numpy()
    np.testing.assert_array_equal(counts, ones)
    direct = np.zeros(((h - 1) * sh + d * (kh - 1) + 1, (w - 1) * sw + d * (kw - 1) + 1), dtype=int)
    for i in range(h):  # every input cell, every kernel tap: where it lands
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    direct[i * sh + a * d, j * sw + b * d] += 1
    np.testing.assert_array_equal(counts, direct[p : direct.shape[0] - p, p : direct.shape[1] - p])


@pytest.mark.parametrize("kernel,even", [(3, False), (4, True), (5, False), (2, True)])
def test_a_kernel_not_divisible_by_the_stride_makes_a_checkerboard_and_resize_convolution_does_not(kernel, even):
    from cnnviz.grids.transposed import overlap_counts, overlap_sentence, resize_convolution

    counts = overlap_counts(6, 6, (kernel, kernel), TransposedConfig((2, 2)))
    inner = counts[kernel - 1 : -(kernel - 1) or None, kernel - 1 : -(kernel - 1) or None]
    assert (inner.min() == inner.max()) == even
    assert ("uneven" in overlap_sentence((kernel, kernel), TransposedConfig((2, 2)))) != even
    k = np.random.default_rng(kernel).normal(size=(kernel, kernel))
    out = resize_convolution(np.ones((6, 6)), k, (2, 2))
    x = torch.ones(1, 1, 6, 6, dtype=torch.float64)
    up = F.interpolate(x, scale_factor=2, mode="nearest")
    top, left = (kernel - 1) // 2, (kernel - 1) // 2
    theirs = F.conv2d(F.pad(up, (left, kernel - 1 - left, top, kernel - 1 - top)), torch.tensor(k)[None, None])
    np.testing.assert_allclose(out, theirs[0, 0].numpy())
    b = kernel  # away from the zero border, a constant input stays constant whatever the kernel
    assert np.allclose(out[b:-b, b:-b], k.sum())
