"""Slides out: one step as a 1920×1080 PNG with the grids as the page draws them."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.grids.conv import ConvConfig, conv2d
from cnnviz.present.colours import style
from cnnviz.present.figures import conv_step_panels
from cnnviz.present.render import SLIDE, png_bytes, render_panels, slide

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("size", [3, 16])
def test_a_step_slide_is_1920_by_1080_with_the_grids_in_the_middle_and_the_arithmetic_below(size):
    x = np.arange(size * size, dtype=float).reshape(size, size)
    r = conv2d(x, np.ones((3, 3)), config=ConvConfig(padding="same"))
    view = render_panels(conv_step_panels(r, r.step(0), style(True)), style(True))
    long = " + ".join(["12×3"] * 60) + " = 2160"
    img = Image.open(io.BytesIO(png_bytes(slide(view, "Convolution · output[0, 0]", [long]))))
    assert img.size == SLIDE
    a = np.asarray(img.convert("L"))
    assert (a[140:800] < 200).mean() > 0.05  # the grids fill the middle
    assert (a[870:1040] < 128).any()  # the arithmetic is written below
