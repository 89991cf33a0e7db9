"""SmoothGrad (Smilkov et al. 2017): saliency averaged over noisy copies of the picture."""

from __future__ import annotations

import torch

from cnnviz.explain.method import Method, Request, Setting
from cnnviz.learn.seeding import noisy_copies


def compute(req: Request) -> torch.Tensor:
    """Noise σ = `noise` × the input's range, from a generator seeded per call: the same seed gives the same map
    whatever other sessions are doing."""
    from captum.attr import Saliency  # here, not at the top: listing the methods needs no captum

    o, x = req.options, req.x.detach()
    gen = torch.Generator().manual_seed(o.seed)
    xs = noisy_copies(x, o.samples, o.noise * float(x.max() - x.min()), gen).requires_grad_(True)
    return Saliency(req.forward()).attribute(xs, abs=True).mean(0).sum(0)


METHOD = Method(
    "smoothgrad", "SmoothGrad", order=80, compute=compute,
    settings=(Setting("samples", "SmoothGrad samples", 2, 64, 12),
              Setting("noise", "SmoothGrad noise (fraction of the input range)", 0.0, 0.5, 0.15, step=0.01)),
    note="Smilkov et al.: saliency averaged over noisy copies of the image; less noise, same meaning.")
