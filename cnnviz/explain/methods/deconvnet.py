"""Deconvnet (Zeiler & Fergus 2014): the gradient with every rectifier passing only positive gradients."""

from __future__ import annotations

import torch
from captum.attr import Saliency

from cnnviz.explain.method import Method, Request


def compute(req: Request) -> torch.Tensor:
    return Saliency(req.forward("deconvnet")).attribute(req.leaf(), abs=False)[0].sum(0)


METHOD = Method(
    "deconvnet", "Deconvnet", order=20, compute=compute,
    note="Zeiler & Fergus: the gradient with every rectifier passing only positive gradients, whatever its "
         "forward input. Mostly reconstructs image structure.")
