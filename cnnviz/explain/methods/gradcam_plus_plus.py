"""Grad-CAM++ (Chattopadhay et al. 2018): per-pixel weights on the positive gradients, so that several instances
of a class all count."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnviz.explain.cam import layer_maps, scaled
from cnnviz.explain.method import Method, Request

TITLE = "Grad-CAM++"


def weights(acts: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """The channel weights (1×C×1×1): Σ_ij α·ReLU(g), α = g² / (2g² + Σ_ij A·g³), as pytorch-grad-cam."""
    g2, g3 = grads ** 2, grads ** 3
    denom = 2 * g2 + acts.sum(dim=(2, 3), keepdim=True) * g3
    alpha = torch.where(grads != 0, g2 / (denom + 1e-7), torch.zeros_like(grads))
    return (F.relu(grads) * alpha).sum(dim=(2, 3), keepdim=True)


def compute(req: Request) -> torch.Tensor:
    acts, grads, _, _ = layer_maps(req, TITLE)
    assert grads is not None
    return scaled((weights(acts, grads) * acts).sum(1)[0], req.size)


METHOD = Method(
    "gradcam++", TITLE, order=90, compute=compute, class_only=True, cam_like=True, uses_layer=True,
    note="Chattopadhay et al.: Grad-CAM with per-pixel weights on the positive gradients, so several objects of "
         "the class all light up. As coarse as the layer; can spread beyond the object.")
