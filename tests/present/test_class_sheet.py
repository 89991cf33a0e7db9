""""Where does this class live?": one slide with every map on one scale, the photo and the top-5."""

import numpy as np
import pytest

from cnnviz.present.class_sheet import CAPTION_H, class_sheet, grid_shape
from cnnviz.present.render import SLIDE


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 11, 12])
def test_the_grid_fits_every_map_in_the_area_and_uses_the_largest_tiles(n):
    cols, rows, side = grid_shape(n, 1400, 850)
    assert cols * rows >= n and side > 100
    assert cols * side <= 1400 and rows * (side + CAPTION_H) <= 850
    assert all(grid_shape(n, 1400, 850)[2] >= min(1400 / c, 850 / -(-n // c) - CAPTION_H) - 12 - 1
               for c in range(1, n + 1))


def test_the_slide_shows_each_map_over_the_photo_and_marks_the_target_in_the_top5():
    rng = np.random.default_rng(0)
    photo = np.full((224, 224, 3), 128, np.uint8)
    hot = np.zeros((224, 224), np.float32)
    hot[:112] = 1.0  # the top half lit
    maps = {"saliency": hot, "gradcam": rng.random((7, 7)).astype(np.float32), "occlusion": hot[::-1].copy()}
    img = class_sheet(photo, maps, {"saliency": "Saliency"}, "tabby", [("tabby", 0.6), ("tiger cat", 0.3)],
                      "EfficientNet-Lite0")
    assert img.size == SLIDE
    a = np.asarray(img)
    cols, rows, side = grid_shape(3, SLIDE[0] - 460 - 80, SLIDE[1] - 140 - 110)
    x0, y0 = 500, 140
    tile = a[y0:y0 + side, x0:x0 + side]
    top, bottom = tile[: side // 3].reshape(-1, 3).mean(0), tile[-side // 3:].reshape(-1, 3).mean(0)
    assert np.abs(top - bottom).sum() > 60  # the lit half is coloured, the other shows the grey photo
    assert np.allclose(bottom, 128, atol=4)
    assert (a[140:560, 40:460] == 128).all(axis=-1).mean() > 0.95  # the photo on the left
