"""One-click examples, including the lecture notes' worked examples.

A preset stores inputs and hyper-parameters only, never an expected output: the engine
computes the truth (several of the notes' printed answers are wrong — e.g. the 4×4
max-pool example lists four output rows, and the bias example's printed output is not
what that input and kernel give).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LECTURE_7X7 = [[6, 3, 4, 4, 5, 0, 3], [4, 7, 4, 0, 4, 0, 4], [7, 0, 2, 3, 4, 5, 2], [3, 7, 5, 0, 3, 0, 7],
               [5, 8, 1, 2, 5, 4, 2], [8, 0, 1, 0, 6, 0, 0], [6, 4, 1, 3, 0, 4, 5]]
LECTURE_7X7_KERNEL = [[1, 0, 1], [1, 0, 0], [0, 0, 2]]
GRID_1_25 = np.arange(1, 26, dtype=float).reshape(5, 5).tolist()
MEAN_3X3 = np.full((3, 3), 1 / 9).tolist()
GRID_1_9 = np.arange(1, 10, dtype=float).reshape(3, 3).tolist()
EDGE_COLUMNS = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]


@dataclass(frozen=True)
class ConvPreset:
    key: str
    title: str
    note: str
    input: list
    kernel: list
    bias: float | list = 0.0
    stride: tuple[int, int] = (1, 1)
    padding: str | int | tuple = "valid"
    pad_mode: str = "zeros"
    dilation: tuple[int, int] = (1, 1)
    flip: bool = False
    activation: str = "none"
    mode: str = "2d"  # 2d | 1d | multi


def _rng_grid(seed: int, shape, low=-3, high=4) -> list:
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(float).tolist()


CONV_PRESETS: dict[str, ConvPreset] = {p.key: p for p in [
    ConvPreset("lecture_7x7", "Lecture: 7×7 input, 3×3 kernel, stride 1",
               "The notes' worked example (they quote two of the cells; step to them).",
               LECTURE_7X7, LECTURE_7X7_KERNEL),
    ConvPreset("lecture_7x7_s2", "Lecture: 7×7 input, 3×3 kernel, stride 2",
               "The same grid at stride 2: a 3×3 output.", LECTURE_7X7, LECTURE_7X7_KERNEL, stride=(2, 2)),
    ConvPreset("grid25_s1", "Lecture: 5×5 grid of 1..25, stride 1",
               "The notes do not state the kernel; a 3×3 mean is used here.", GRID_1_25, MEAN_3X3),
    ConvPreset("grid25_s2", "Lecture: 5×5 grid of 1..25, stride 2", "3×3 mean kernel, stride 2.",
               GRID_1_25, MEAN_3X3, stride=(2, 2)),
    ConvPreset("grid25_s3", "Lecture: 5×5 grid of 1..25, stride 3",
               "Stride 3: some rows and columns are never read.", GRID_1_25, MEAN_3X3, stride=(3, 3)),
    ConvPreset("grid25_same", "Lecture: 'same' padding on the 5×5 grid", "One ring of zeros keeps 5×5.",
               GRID_1_25, MEAN_3X3, padding="same"),
    ConvPreset("grid25_full", "Lecture: 'full' padding on the 5×5 grid", "Two rings of zeros: the output grows to 7×7.",
               GRID_1_25, MEAN_3X3, padding="full"),
    ConvPreset("bias_0", "Lecture: bias example, b = 0", "3×3 grid of 1..9 with a vertical-edge kernel, 'same' padding.",
               GRID_1_9, EDGE_COLUMNS, bias=0.0, padding="same"),
    ConvPreset("bias_1", "Lecture: bias example, b = +1", "The same with bias +1: every output shifts by 1.",
               GRID_1_9, EDGE_COLUMNS, bias=1.0, padding="same"),
    ConvPreset("dilated", "Dilation 2 on a 7×7 grid", "A 3×3 kernel with holes covers 5×5 cells.",
               LECTURE_7X7, LECTURE_7X7_KERNEL, dilation=(2, 2)),
    ConvPreset("flip", "True convolution (kernel flipped)", "Compare with the first preset: the kernel is rotated by 180°.",
               LECTURE_7X7, LECTURE_7X7_KERNEL, flip=True),
    ConvPreset("sobel_relu", "Sobel x + ReLU on a step edge", "Negative responses are cut by ReLU.",
               [[0, 0, 0, 9, 9, 9]] * 6, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], activation="relu", padding="same",
               pad_mode="replicate"),
    ConvPreset("seq_smooth", "1-D: moving average of a sequence", "A 3-tap mean slides along 10 values.",
               [[1, 3, 2, 5, 4, 6, 8, 7, 9, 10]], [[1 / 3, 1 / 3, 1 / 3]], mode="1d"),
    ConvPreset("seq_diff", "1-D: difference filter, stride 2", "Kernel [−1, 1] finds changes.",
               [[0, 0, 1, 1, 1, 0, 0, 2, 2, 0]], [[-1, 1]], stride=(1, 2), mode="1d"),
    ConvPreset("rgb_small", "3-D: 5×5×3 input, 2 filters 3×3×3, pad 1",
               "Each filter spans all 3 channels; the per-channel sums add up with the bias.",
               _rng_grid(1, (3, 5, 5), 0, 5), _rng_grid(2, (2, 3, 3, 3), -1, 2), bias=[1.0, -1.0],
               padding=1, mode="multi"),
    ConvPreset("rgb_32", "3-D: 32×32×3 input, 10 filters 5×5, stride 1, pad 2",
               "Too large to show every value: shapes, parameter count and a sample.",
               _rng_grid(3, (3, 32, 32), 0, 256), _rng_grid(4, (10, 3, 5, 5), -2, 3), bias=[0.0] * 10,
               padding=2, mode="multi"),
]}


@dataclass(frozen=True)
class PoolPreset:
    key: str
    title: str
    note: str
    input: list
    window: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    padding: tuple[int, int] = (0, 0)
    mode: str = "max"


POOL_PRESETS: dict[str, PoolPreset] = {p.key: p for p in [
    PoolPreset("lecture_4x4", "Lecture: 4×4, 2×2 max-pool, stride 2", "The notes print four output rows; the truth is 2×2.",
               [[1, 3, 2, 4], [5, 6, 1, 8], [9, 2, 7, 3], [4, 5, 6, 1]]),
    PoolPreset("lecture_4x4_b", "Lecture: 4×4 max-pool (second example)", "2×2 window, stride 2.",
               [[3, 2, 5, 6], [8, 9, 5, 3], [4, 4, 6, 8], [1, 1, 2, 1]]),
    PoolPreset("lecture_4x4_c", "Lecture: 4×4 max-pool (third example)", "2×2 window, stride 2.",
               [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]),
    PoolPreset("lecture_6x6", "Lecture: 6×6, 2×2 max-pool, stride 2", "Non-overlapping windows: a 3×3 output.",
               [[1, 3, 2, 4, 8, 6], [5, 6, 1, 8, 7, 3], [9, 2, 7, 3, 6, 5], [4, 5, 6, 1, 9, 2],
                [8, 3, 4, 7, 2, 1], [5, 7, 9, 2, 3, 6]]),
    PoolPreset("alexnet_overlap", "AlexNet-style overlapping 3×3 / stride 2", "Windows share a row and a column.",
               [[1, 3, 2, 4, 8, 6, 2], [5, 6, 1, 8, 7, 3, 1], [9, 2, 7, 3, 6, 5, 4], [4, 5, 6, 1, 9, 2, 3],
                [8, 3, 4, 7, 2, 1, 5], [5, 7, 9, 2, 3, 6, 8], [2, 4, 6, 8, 1, 3, 5]], (3, 3), (2, 2)),
    PoolPreset("avg_6x6", "Average pooling on the 6×6 grid", "Each output is the mean of its window.",
               [[1, 3, 2, 4, 8, 6], [5, 6, 1, 8, 7, 3], [9, 2, 7, 3, 6, 5], [4, 5, 6, 1, 9, 2],
                [8, 3, 4, 7, 2, 1], [5, 7, 9, 2, 3, 6]], mode="avg"),
    PoolPreset("depth_kept", "Two channels pooled independently", "Depth stays 2: each channel has its own maxima.",
               [[[1, 3, 2, 4], [5, 6, 1, 8], [9, 2, 7, 3], [4, 5, 6, 1]],
                [[0, -1, 2, 2], [3, 1, 0, -2], [1, 1, 4, 0], [2, 5, 0, 1]]]),
]}
