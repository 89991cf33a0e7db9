"""Guided backpropagation (Springenberg et al. 2015): the gradient masked at each rectifier by a positive input
and a positive gradient (the rule is applied at every rectifier call: cnnviz.explain.rules)."""

from __future__ import annotations

import torch

from cnnviz.explain.method import Method, Request


def compute(req: Request) -> torch.Tensor:
    from captum.attr import Saliency  # here, not at the top: listing the methods needs no captum

    return Saliency(req.forward("guided")).attribute(req.leaf(), abs=False)[0].sum(0)


METHOD = Method(
    "guided-backprop", "Guided backprop", order=30, compute=compute,
    note="Springenberg et al.: the gradient masked at each rectifier by both a positive input and a positive "
         "gradient. Crisp, but largely insensitive to the weights and the class — it fails the model- and "
         "data-randomisation checks of Adebayo et al. 2018.")
