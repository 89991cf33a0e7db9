"""Deconvnet (Zeiler & Fergus 2014): the gradient with every rectifier passing only positive gradients."""

from __future__ import annotations

import torch

from cnnviz.explain.method import Method, Request


def compute(req: Request) -> torch.Tensor:
    from captum.attr import Saliency  # here, not at the top: listing the methods needs no captum

    return Saliency(req.forward("deconvnet")).attribute(req.leaf(), abs=False)[0].sum(0)


METHOD = Method(
    "deconvnet", "Deconvnet", order=20, compute=compute,
    note="Zeiler & Fergus: the gradient with every rectifier passing only positive gradients, whatever its "
         "forward input. Mostly reconstructs image structure.")
