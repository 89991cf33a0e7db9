"""What every CAM-family method shares (as pytorch-grad-cam's base class): the chosen layer's maps A (1×C×h×w)
and the class score's gradient at them, from one feature-extraction graph — nothing is hooked on the shared
model — and the last step each method ends with: ReLU, bilinear upsampling to the input, divided by the peak.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.explain.method import Request


def layer_maps(req: Request, title: str, need_grads: bool = True
               ) -> tuple[torch.Tensor, torch.Tensor | None, nn.Module, str]:
    """(A, ∂score/∂A or None, the extraction graph, its logits node) for the request's class at its layer."""
    target = req.class_index(title)
    out_node = req.net.output_node
    fx = req.net.extractor((req.layer, out_node), req.device)
    xi = req.x.detach().clone().requires_grad_(need_grads)
    outs = fx(xi)
    acts, logits = outs[req.layer], outs[out_node]
    grads = torch.autograd.grad(logits[0, target], acts)[0] if need_grads else None
    return acts.detach(), grads, fx, out_node


def scaled(cam: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """ReLU, bilinear upsampling to the input, divided by the peak (a flat map stays 0); H×W on the CPU."""
    cam = F.relu(cam)[None, None] if cam.dim() == 2 else F.relu(cam)
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).detach().float().cpu()
