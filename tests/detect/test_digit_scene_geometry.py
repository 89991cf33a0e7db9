"""Detecting digits: the page's grid is the network's — a scene smaller than 256 px sits in the corner of the padded
input (cells beyond it see padding, and predict too), a larger one is scaled to fit; every cell's position matches."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.detect import digits as D

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("shape", "factor", "covered"), [((128, 128), 1.0, (16, 16)), ((256, 256), 1.0, (32, 32)),
                                                           ((100, 130), 1.0, (13, 17)), ((512, 384), 0.5, (32, 24))])
def test_the_geometry_is_the_resize_and_padding_to_input_applies(shape, factor, covered):
    geo = D.input_geometry(shape)
    x, f = D.to_input(np.full(shape, 255, np.uint8))
    assert f == geo.factor == factor and geo.covered == covered
    ink = x[0, 0].numpy() > 0
    rows, cols = np.nonzero(ink.reshape(D.GRID, D.STRIDE, D.GRID, D.STRIDE).any(axis=(1, 3)))
    assert (rows.max() + 1, cols.max() + 1) == covered  # the cells holding the scene, in the network's own input
    assert geo.extent == pytest.approx(D.CANVAS / factor)


def test_a_drawn_128_px_scene_says_it_is_padded_to_256_and_the_figure_draws_the_networks_32_by_32_grid():
    from cnnviz.present.colours import style
    from cnnviz.ui.views.digits_views import scene_figure

    gray = np.zeros((128, 128), np.uint8)
    said = D.input_geometry(gray.shape).sentence(gray.shape)
    assert "256×256 black input" in said and "32×32 grid has 1,024 cells" in said and "16×16 of them" in said
    fig = scene_figure(gray, [], [], 0.5, None, style(False))
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 2 * (D.GRID + 1) and max(s.x1 for s in lines) == pytest.approx(255.5)
    assert fig.layout.xaxis.range[1] == pytest.approx(255.5)
