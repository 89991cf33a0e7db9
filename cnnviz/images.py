"""Safe image loading for uploads and sample photos → RGB uint8 arrays.

Uploads are decoded from memory and never written to disk. EXIF orientation is
applied; grayscale, RGBA, CMYK, palette and 16-bit images become RGB; the first frame
of an animation is used; empty, truncated, non-image and decompression-bomb files raise
ImageError with one clear sentence.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnviz.errors import ImageError

PHOTOS = Path(__file__).resolve().parents[1] / "assets" / "photos"
SAMPLE_PHOTOS = {
    "Chelsea the cat": "chelsea.png",
    "Coffee": "coffee.png",
    "Astronaut": "astronaut.png",
    "Rocket launch": "rocket.jpg",
}
MAX_PIXELS = 40_000_000  # above this a file is treated as a decompression bomb
MAX_PHOTO_MB = 20  # per photo upload widget (the server allows more for weight files)
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        hi = arr.max() or 1.0
        img = Image.fromarray((arr / hi * 255).round().astype(np.uint8), "L")
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = np.nanmin(arr), np.nanmax(arr)
        img = Image.fromarray(((arr - lo) / ((hi - lo) or 1) * 255).round().astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return img.convert("RGB")


def load_image(data: bytes, name: str = "upload") -> np.ndarray:
    """Bytes of any common image format → H×W×3 uint8 RGB array."""
    if not data:
        raise ImageError(f"'{name}' is empty (0 bytes)")
    # The size limit is checked per call on the header, before any pixel is decoded: Pillow's
    # MAX_IMAGE_PIXELS and the warnings filters are process-wide, and other sessions decode too.
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise Image.DecompressionBombError("too many pixels")
        img.seek(0)  # first frame of a GIF/animated WebP/multi-page TIFF
        img.load()
        upright = ImageOps.exif_transpose(img)
        return np.asarray(_to_rgb(upright), dtype=np.uint8).copy()
    except Image.DecompressionBombError:
        raise ImageError(f"'{name}' is too large to open safely (over {MAX_PIXELS // 1_000_000} megapixels)") from None
    except UnidentifiedImageError:
        raise ImageError(f"'{name}' is not an image this app can read (PNG, JPEG, WebP, BMP, GIF or TIFF)") from None
    except (OSError, SyntaxError, ValueError):  # the library's own words ("1 bytes not processed") help nobody
        raise ImageError(f"'{name}' could not be decoded: the file looks truncated or damaged — save or export it "
                         "again and upload the new file") from None


def load_sample(title: str) -> np.ndarray:
    """A bundled photo, decoded once per process (read-only: every page and session shares it)."""
    return _decoded_sample(title)


@cache
def _decoded_sample(title: str) -> np.ndarray:
    arr = load_image((PHOTOS / SAMPLE_PHOTOS[title]).read_bytes(), SAMPLE_PHOTOS[title])
    arr.flags.writeable = False
    return arr


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma in [0, 255] as float64 (what PIL's 'L' conversion computes)."""
    return np.asarray(rgb, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])


def resize_max(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink so the longer side is at most max_side (aspect kept)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    s = max_side / max(h, w)
    return np.asarray(Image.fromarray(rgb).resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR))
