"""Grad-CAM (Selvaraju et al. 2017): the layer's maps weighted by their average gradient."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnviz.explain.cam import layer_maps, scaled
from cnnviz.explain.method import Method, Request

TITLE = "Grad-CAM"


def compute(req: Request) -> torch.Tensor:
    """ReLU(Σ_c mean(∂y/∂A_c)·A_c) at the layer, upsampled to the input, scaled to [0, 1]."""
    acts, grads, _, _ = layer_maps(req, TITLE)
    assert grads is not None
    weights = grads.mean(dim=(2, 3), keepdim=True)
    return scaled(F.relu((weights * acts).sum(1, keepdim=True)), req.size)


METHOD = Method(
    "gradcam", TITLE, order=40, compute=compute, class_only=True, cam_like=True, uses_layer=True,
    note="Selvaraju et al.: the chosen layer's maps weighted by their average gradient, ReLU applied, upsampled "
         "to the image. Class-discriminative but coarse (the layer's resolution).")
