"""Classic image kernels (3×3 unless stated), used on grids and on real photos."""

from __future__ import annotations

import numpy as np

CLASSIC_KERNELS: dict[str, tuple[str, np.ndarray]] = {
    "identity": ("Identity: the output equals the input", np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float)),
    "edge": ("Edge detector (all directions)", np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], float)),
    "vertical_edges": ("Vertical edges (Prewitt x)", np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], float)),
    "horizontal_edges": ("Horizontal edges (Prewitt y)", np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], float)),
    "sobel_x": ("Sobel x: horizontal gradient", np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)),
    "sobel_y": ("Sobel y: vertical gradient", np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float)),
    "laplacian": ("Laplacian: second derivative", np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float)),
    "box_blur": ("Box blur: mean of the 3×3 window", np.full((3, 3), 1 / 9)),
    "gaussian_blur": ("Gaussian blur (3×3, σ≈0.85)", np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], float) / 16),
    "gaussian_blur_5": ("Gaussian blur (5×5)", np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(float) / 256),
    "sharpen": ("Sharpen", np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float)),
    "emboss": ("Emboss", np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], float)),
}


def classic_kernel(name: str) -> np.ndarray:
    return CLASSIC_KERNELS[name][1].copy()
