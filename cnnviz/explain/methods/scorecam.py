"""Score-CAM (Wang et al. 2020): each map, upsampled and scaled to [0, 1], masks the input; the class's softmax
score on that masked input is the map's weight — no gradients, one forward pass per channel (batched; a stop
callback ends it early with the channels done so far)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnviz.explain.cam import layer_maps, scaled
from cnnviz.explain.method import Method, Request

TITLE = "Score-CAM"
BATCH = 8  # masked copies per forward pass: on 2 CPU cores 8 beat 16 and 32 (bench/attribution_fantasy.py)
CHANNELS = 256  # the most active channels masked by default: all 1,280 of Lite0 take ~170 s on 2 cores


def compute(req: Request, batch: int = BATCH, channels: int | None = CHANNELS) -> torch.Tensor:
    target = req.class_index(TITLE)
    acts, _, fx, out_node = layer_maps(req, TITLE, need_grads=False)
    if channels and channels < acts.shape[1]:  # the most active channels (by mean activation); the rest weigh 0
        keep = torch.topk(acts[0].mean(dim=(1, 2)), channels).indices.sort().values
        acts = acts[:, keep]
    up = F.interpolate(acts, size=req.size, mode="bilinear", align_corners=False)[0]  # C×H×W
    lo = up.amin(dim=(1, 2), keepdim=True)
    hi = up.amax(dim=(1, 2), keepdim=True)
    masks = torch.where(hi > lo, (up - lo) / (hi - lo).clamp_min(1e-12), torch.zeros_like(up))
    xd = req.x.detach()
    n = masks.shape[0]
    weights = torch.zeros(n, device=up.device)
    with torch.no_grad():
        for start in range(0, n, batch):
            if req.should_stop is not None and req.should_stop():
                break
            logits = fx(xd * masks[start:start + batch, None])[out_node]
            weights[start:start + batch] = torch.softmax(logits, dim=1)[:, target]
            if req.progress is not None:
                req.progress(min(start + batch, n), n)
    return scaled((weights[:, None, None] * acts[0]).sum(0), req.size)


METHOD = Method(
    "scorecam", TITLE, order=120, compute=compute, class_only=True, cam_like=True, uses_layer=True, slow=True,
    in_sanity=False,
    note="Wang et al.: each map, used as a mask on the photo, weighted by the class's softmax score on that masked "
         "photo — no gradients, one forward pass per channel (here the 256 most active; slow).")
