"""How a photo becomes the tensor a network sees, with each step written out in numbers."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from PIL import Image


@dataclass(frozen=True)
class Preprocess:
    """How a photo becomes the tensor a network sees; `describe` lists the steps with numbers."""

    resize: str  # "exact": squash to size×size · "shorter": shorter side to `resize_to`, centre crop · "pad": longer
    #              side to `size`, the rest filled with the mean colour (zero after normalising)
    size: int
    resize_to: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    scale: float  # pixel values are divided by this before (x − mean) / std
    grayscale: bool = False
    invert: bool = False  # MNIST digits are white on black
    pad: int = 0  # background border added after normalising (LeNet-5: 28 → 32)

    def _shorter_side(self, w: int, h: int) -> tuple[int, int]:
        """Shorter side to resize_to, longer side truncated as torchvision's Resize(int) does."""
        if w <= h:
            return self.resize_to, int(self.resize_to * h / w)
        return int(self.resize_to * w / h), self.resize_to

    def fitted(self, fit: str) -> Preprocess:
        """This preprocessing with another way of fitting the photo into the square input (see FITS)."""
        if fit not in FITS:
            raise ValueError(f"unknown fit '{fit}': use one of {', '.join(FITS)}")
        if fit == "own":
            return self
        return replace(self, resize="exact" if fit == "squash" else "pad", resize_to=self.size)

    def fill(self) -> int | tuple[int, ...]:
        """The padding colour: the mean (zero after normalising); white before a digit is inverted to black."""
        if self.invert:
            return 255
        fill = tuple(int(round(m * self.scale)) for m in self.mean)
        return fill[0] if self.grayscale else fill

    def _longer_side(self, w: int, h: int) -> tuple[int, int]:
        return (self.size, max(1, round(self.size * h / w))) if w >= h else (max(1, round(self.size * w / h)), self.size)

    def crop_box(self, w: int, h: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive, of the part of a w×h photo the network sees."""
        if self.resize != "shorter":
            return 0, 0, h - 1, w - 1
        nw, nh = self._shorter_side(w, h)
        left, top = (nw - self.size) // 2, (nh - self.size) // 2
        sx, sy = w / nw, h / nh
        return (int(top * sy), int(left * sx), min(h - 1, int(np.ceil((top + self.size) * sy)) - 1),
                min(w - 1, int(np.ceil((left + self.size) * sx)) - 1))

    def image(self, rgb: np.ndarray) -> np.ndarray:
        """The resized / cropped picture the network sees, as uint8 (H×W×3 or H×W)."""
        img = Image.fromarray(np.asarray(rgb, dtype=np.uint8))
        if self.grayscale:
            img = img.convert("L")
        if self.resize == "exact":
            img = img.resize((self.size, self.size), Image.Resampling.BILINEAR)
        elif self.resize == "pad":
            inner = img.resize(self._longer_side(*img.size), Image.Resampling.BILINEAR)
            canvas = Image.new(img.mode, (self.size, self.size), self.fill())
            canvas.paste(inner, ((self.size - inner.width) // 2, (self.size - inner.height) // 2))
            img = canvas
        else:
            img = img.resize(self._shorter_side(*img.size), Image.Resampling.BILINEAR)
            w, h = img.size
            left, top = (w - self.size) // 2, (h - self.size) // 2
            img = img.crop((left, top, left + self.size, top + self.size))
        arr = np.asarray(img)
        return 255 - arr if self.invert else arr

    def tensor(self, rgb: np.ndarray) -> torch.Tensor:
        arr = self.image(rgb).astype(np.float32) / self.scale
        t = torch.tensor(arr)
        t = t[None] if t.ndim == 2 else t.permute(2, 0, 1)
        mean = torch.tensor(self.mean, dtype=torch.float32)[:, None, None]
        std = torch.tensor(self.std, dtype=torch.float32)[:, None, None]
        t = ((t - mean) / std)[None]
        if self.pad:
            t = torch.nn.functional.pad(t, (self.pad,) * 4, value=float(-self.mean[0] / self.std[0]))
        return t

    def describe(self, rgb_shape: tuple[int, ...]) -> list[str]:
        h, w = rgb_shape[:2]
        steps = [f"photo {w}×{h} px, RGB"]
        if self.grayscale:
            steps.append("converted to grey-scale (one channel)")
        if self.invert:
            steps.append("inverted: MNIST digits are white on black")
        if self.resize == "exact":
            steps.append(f"squashed to {self.size}×{self.size} (aspect ratio not kept), bilinear")
        elif self.resize == "pad":
            nw, nh = self._longer_side(w, h)
            steps.append(f"longer side resized to {self.size}: {nw}×{nh}, bilinear")
            steps.append(f"padded to {self.size}×{self.size} with the mean colour (zero after normalising)")
        else:
            nw, nh = self._shorter_side(w, h)
            steps.append(f"shorter side resized to {self.resize_to}: {nw}×{nh}, bilinear")
            steps.append(f"centre crop {self.size}×{self.size}")
        c = 1 if self.grayscale else 3
        mean = ", ".join(f"{m:g}" for m in self.mean)
        std = ", ".join(f"{s:g}" for s in self.std)
        scale = f"x / {self.scale:g}, then " if self.scale != 1 else ""
        steps.append(f"normalised per channel: {scale}(x − [{mean}]) / [{std}]")
        n = self.size + 2 * self.pad
        if self.pad:
            steps.append(f"padded by {self.pad} background pixels on each side: {n}×{n}")
        steps.append(f"tensor 1×{c}×{n}×{n} (batch × channels × height × width)")
        return steps


FITS = {"own": "the network's own (resize + centre crop)", "squash": "squash (whole photo, distorted)",
        "pad": "pad (whole photo, borders added)"}
FIT_SHORT = {"own": "its own (crop)", "squash": "squash", "pad": "pad"}  # a control's labels (FITS says the rest)

IMAGENET = Preprocess("shorter", 224, 256, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 255.0)
