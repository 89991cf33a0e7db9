"""Integrated gradients (Sundararajan et al. 2017): the gradient integrated from a baseline to the picture."""

from __future__ import annotations

import torch

from cnnviz.explain.method import Method, Request, Setting


def compute(req: Request) -> torch.Tensor:
    from captum.attr import IntegratedGradients  # here, not at the top: listing the methods needs no captum

    ig = IntegratedGradients(req.forward())
    return ig.attribute(req.leaf(), baselines=req.baseline(), n_steps=req.options.steps)[0].sum(0)


METHOD = Method(
    "integrated-gradients", "Integrated gradients", order=60, compute=compute,
    settings=(Setting("baseline", "Integrated gradients baseline", default="black", choices=("black", "blur", "zero"),
                      help="What 'no information' looks like: a black picture, a heavily blurred copy, or zeros "
                           "after preprocessing"),
              Setting("steps", "Integration steps", 4, 200, 32)),
    note="Sundararajan et al.: the gradient integrated along a path from a baseline to the image; its values sum "
         "to score(image) − score(baseline). Depends on the baseline chosen.")
