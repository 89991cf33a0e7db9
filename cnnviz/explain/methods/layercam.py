"""LayerCAM (Jiang et al. 2021): each pixel of each map weighted by its own positive gradient."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnviz.explain.cam import layer_maps, scaled
from cnnviz.explain.method import Method, Request

TITLE = "LayerCAM"


def compute(req: Request) -> torch.Tensor:
    acts, grads, _, _ = layer_maps(req, TITLE)
    assert grads is not None
    return scaled((F.relu(grads) * acts).sum(1)[0], req.size)


METHOD = Method(
    "layercam", TITLE, order=100, compute=compute, class_only=True, cam_like=True, uses_layer=True,
    note="Jiang et al.: every pixel of every map weighted by its own positive gradient — finer than Grad-CAM and "
         "usable at earlier layers, which are noisier.")
