"""The CAM family beside Grad-CAM: Grad-CAM++, LayerCAM, EigenCAM and Score-CAM, at one layer of a network.

Each weighs the layer's maps A_k (C×h×w) differently, then ReLU, upsampling to the input and a
[0, 1] scale, as pytorch-grad-cam does:
- Grad-CAM++ (Chattopadhay et al. 2018): per-pixel weights α = g² / (2g² + Σ_ij A·g³) on the positive
  gradients, so several instances of a class all count;
- LayerCAM (Jiang et al. 2021): each pixel of each map weighted by its own positive gradient — finer maps,
  and usable at earlier layers;
- EigenCAM (Muhammad & Yeasin 2020): the maps' first principal component — no gradient and no class at all
  (the same map for every class), signed so that it agrees with the mean activation;
- Score-CAM (Wang et al. 2020): each map, upsampled and scaled to [0, 1], masks the input; the class's
  softmax score on that masked input is the map's weight — no gradients, one forward pass per channel
  (batched; a stop callback ends it early with the channels done so far).

Activations and gradients come from the same feature-extraction graph as Grad-CAM: nothing is hooked
on the shared model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.networks.network import Network
from cnnviz.networks.tracing import runs_networks

CAM_METHODS = ("gradcam++", "layercam", "eigencam", "scorecam")
SCORECAM_BATCH = 8  # masked copies per forward pass: on 2 CPU cores 8 beat 16 and 32 (bench/attribution_fantasy.py)
SCORECAM_CHANNELS = 256  # the most active channels masked by default: all 1,280 of Lite0 take ~170 s on 2 cores


def _scaled(cam: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """ReLU, bilinear upsampling to the input, divided by the peak (a flat map stays 0)."""
    cam = F.relu(cam)[None, None] if cam.dim() == 2 else F.relu(cam)
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).detach().float().cpu().numpy()


def _acts_and_grads(net, x: torch.Tensor, target: int, layer: str, device: str, need_grads: bool = True):
    from cnnviz.networks.inspect import extractor

    out_node = net.output_node
    fx = extractor(net, (layer, out_node), str(device))
    xi = x.detach().to(device).clone().requires_grad_(need_grads)
    outs = fx(xi)
    acts, logits = outs[layer], outs[out_node]
    grads = torch.autograd.grad(logits[0, target], acts)[0] if need_grads else None
    return acts.detach(), grads, fx, out_node


def cam_weights_gradcam_pp(acts: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """Grad-CAM++'s channel weights (1×C×1×1) from activations and gradients (1×C×h×w), as pytorch-grad-cam."""
    g2, g3 = grads ** 2, grads ** 3
    denom = 2 * g2 + acts.sum(dim=(2, 3), keepdim=True) * g3
    alpha = torch.where(grads != 0, g2 / (denom + 1e-7), torch.zeros_like(grads))
    return (F.relu(grads) * alpha).sum(dim=(2, 3), keepdim=True)


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


@runs_networks
def cam(net: Network, x: torch.Tensor, target: int, method: str, layer: str | None = None, device: str = "cpu",
        batch: int = SCORECAM_BATCH, should_stop: Callable[[], bool] | None = None,
        progress: Callable[[int, int], None] | None = None, channels: int | None = SCORECAM_CHANNELS) -> np.ndarray:
    """One CAM-family map (H×W in [0, 1]) of class `target` at `layer` (default: the last spatial one)."""

    layer = layer or net.default_cam_layer
    size = (int(x.shape[-2]), int(x.shape[-1]))
    if method == "eigencam":
        acts, _, _, _ = _acts_and_grads(net, x, target, layer, device, need_grads=False)
        return _scaled(eigen_map(acts), size)
    if method in ("gradcam++", "layercam"):
        acts, grads, _, _ = _acts_and_grads(net, x, target, layer, device)
        if method == "gradcam++":
            m = (cam_weights_gradcam_pp(acts, grads) * acts).sum(1)[0]
        else:
            m = (F.relu(grads) * acts).sum(1)[0]
        return _scaled(m, size)
    if method == "scorecam":
        return _scorecam(net, x, target, layer, device, batch, should_stop, progress, channels)
    raise ValueError(f"unknown CAM method '{method}': use one of {', '.join(CAM_METHODS)}")


def _scorecam(net, x: torch.Tensor, target: int, layer: str, device: str, batch: int,
              should_stop: Callable[[], bool] | None, progress: Callable[[int, int], None] | None,
              channels: int | None) -> np.ndarray:
    acts, _, fx, out_node = _acts_and_grads(net, x, target, layer, device, need_grads=False)
    if channels and channels < acts.shape[1]:  # the most active channels (by mean activation); the rest weigh 0
        keep = torch.topk(acts[0].mean(dim=(1, 2)), channels).indices.sort().values
        acts = acts[:, keep]
    size = (int(x.shape[-2]), int(x.shape[-1]))
    up = F.interpolate(acts, size=size, mode="bilinear", align_corners=False)[0]  # C×H×W
    lo = up.amin(dim=(1, 2), keepdim=True)
    hi = up.amax(dim=(1, 2), keepdim=True)
    masks = torch.where(hi > lo, (up - lo) / (hi - lo).clamp_min(1e-12), torch.zeros_like(up))
    xd = x.to(device)
    n = masks.shape[0]
    weights = torch.zeros(n, device=up.device)
    with torch.no_grad():
        for start in range(0, n, batch):
            if should_stop is not None and should_stop():
                break
            m = masks[start:start + batch, None]
            logits = fx(xd * m)[out_node]
            weights[start:start + batch] = torch.softmax(logits, dim=1)[:, target]
            if progress is not None:
                progress(min(start + batch, n), n)
    return _scaled((weights[:, None, None] * acts[0]).sum(0), size)
