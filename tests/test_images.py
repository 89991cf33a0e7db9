"""Uploads of every common kind decode to RGB; bad files give one clear message."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.errors import ImageError
from cnnviz.images import SAMPLE_PHOTOS, load_image, load_sample


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


RGB = Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8), "RGB")


@pytest.mark.parametrize("img, fmt", [
    (RGB, "PNG"), (RGB, "JPEG"), (RGB, "WEBP"), (RGB, "BMP"), (RGB, "TIFF"), (RGB.convert("L"), "PNG"),
    (RGB.convert("RGBA"), "PNG"), (RGB.convert("CMYK"), "JPEG"), (RGB.convert("P"), "GIF"),
    (RGB.convert("LA"), "PNG"), (Image.fromarray(np.full((20, 30), 40000, dtype=np.uint16)), "PNG"),
])
def test_common_formats_and_modes_become_rgb(img, fmt):
    arr = load_image(_encode(img, fmt), f"x.{fmt.lower()}")
    assert arr.shape == (20, 30, 3) and arr.dtype == np.uint8


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    arr = load_image(_encode(RGB, "JPEG", exif=exif), "rotated.jpg")
    assert arr.shape == (30, 20, 3)


def test_first_frame_of_an_animated_gif_is_used():
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    arr = load_image(data, "anim.gif")
    assert arr[0, 0, 0] > 200 and arr[0, 0, 2] < 50


@pytest.mark.parametrize("data, fragment", [
    (b"", "empty"), (b"hello, not an image", "not an image"),
    (_encode(RGB, "PNG")[:200], "truncated or damaged"),
])
def test_bad_files_get_one_clear_message(data, fragment):
    with pytest.raises(ImageError, match=fragment):
        load_image(data, "bad")


def test_a_truncated_jpeg_is_explained_in_the_apps_words_not_the_librarys():
    data = _encode(RGB, "JPEG")
    with pytest.raises(ImageError) as e:
        load_image(data[: len(data) // 2], "half.jpg")
    assert "truncated or damaged" in str(e.value) and "not processed" not in str(e.value) and "(" not in str(e.value)


def test_decompression_bombs_are_refused():
    bomb = _encode(Image.new("L", (9000, 9000)), "PNG")
    with pytest.raises(ImageError, match="too large"):
        load_image(bomb, "bomb.png")


def test_sample_photos_load():
    for title in SAMPLE_PHOTOS:
        assert load_sample(title).ndim == 3
