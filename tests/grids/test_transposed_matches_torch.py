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
