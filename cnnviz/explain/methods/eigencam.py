"""EigenCAM (Muhammad & Yeasin 2020): the layer's first principal component — no gradient, no class."""

from __future__ import annotations

import torch

from cnnviz.explain.cam import layer_maps, scaled
from cnnviz.explain.method import Method, Request

TITLE = "EigenCAM"


def eigen_map(acts: torch.Tensor) -> torch.Tensor:
    """The first principal component of the maps (pixels as samples, channels as features), h×w.

    A principal component's sign is arbitrary: it is chosen to correlate positively with the mean map.
    """
    c, h, w = acts.shape[1:]
    a = acts[0].reshape(c, h * w).T.double()
    a = a - a.mean(dim=0, keepdim=True)
    _, _, vt = torch.linalg.svd(a, full_matrices=False)
    proj = (a @ vt[0]).reshape(h, w)
    mean_map = acts[0].mean(0).double()
    if float(((proj - proj.mean()) * (mean_map - mean_map.mean())).sum()) < 0:
        proj = -proj
    return proj.float()


def compute(req: Request) -> torch.Tensor:
    acts, _, _, _ = layer_maps(req, TITLE, need_grads=False)
    return scaled(eigen_map(acts), req.size)


METHOD = Method(
    "eigencam", TITLE, order=110, compute=compute, class_only=True, cam_like=True, uses_layer=True, in_sanity=False,
    note="Muhammad & Yeasin: the layer's first principal component — no gradients and no class: the same map "
         "whatever class you ask for (it shows what dominates the layer, not the class's evidence).")
