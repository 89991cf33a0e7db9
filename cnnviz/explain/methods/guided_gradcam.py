"""Guided Grad-CAM (Selvaraju et al. 2017): guided backprop's detail times Grad-CAM's region."""

from __future__ import annotations

import torch

from cnnviz.explain.method import Method, Request
from cnnviz.explain.methods import gradcam, guided_backprop

TITLE = "Guided Grad-CAM"


def compute(req: Request) -> torch.Tensor:
    req.class_index(TITLE)
    detail = guided_backprop.compute(req)
    return detail * gradcam.compute(req).to(detail.device)


METHOD = Method(
    "guided-gradcam", TITLE, order=50, compute=compute, class_only=True, uses_layer=True,
    note="Guided backprop × Grad-CAM: fine detail restricted to the class's region; inherits guided backprop's "
         "insensitivity caveat.")
