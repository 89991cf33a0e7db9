"""Saliency (Simonyan et al. 2014): the magnitude of the gradient of the explained score at each pixel."""

from __future__ import annotations

import torch

from cnnviz.explain.method import Method, Request


def compute(req: Request) -> torch.Tensor:
    from captum.attr import Saliency  # here, not at the top: listing the methods needs no captum

    return Saliency(req.forward()).attribute(req.leaf(), abs=True)[0].sum(0)


METHOD = Method(
    "saliency", "Saliency (gradient)", order=10, compute=compute,
    note="|∂ score / ∂ pixel|: how much a tiny change of each pixel would change the score. Noisy; it shows "
         "sensitivity, not evidence.")
