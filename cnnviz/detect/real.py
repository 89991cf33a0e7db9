"""torchvision's COCO detectors on a photo, through the same weights cache as the classic classifiers.

Offline they are listed as missing with the download step; with their file in the torch hub
cache ($TORCH_HOME/hub/checkpoints) they load with weights_only=True, strictly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnviz.caching import KeyedCache, digest
from cnnviz.errors import ModelUnavailable

FLOOR = 0.05  # every detection down to this score is kept: a threshold slider only filters them, nothing reruns
_models = KeyedCache(4)  # ("detector" | "architecture", name) → a frozen model shared read-only by every session
_runs = KeyedCache(16)  # (what, detector, photo digest) → its result, shared by every session looking at the photo

DETECTORS = {
    "fasterrcnn_mobilenet_v3_large_fpn": ("Faster R-CNN (MobileNetV3-Large FPN)",
                                          "FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1"),
    "ssdlite320_mobilenet_v3_large": ("SSDlite320 (MobileNetV3-Large)", "SSDLite320_MobileNet_V3_Large_Weights.COCO_V1"),
}


def _weights(name: str):
    from torchvision.models import get_weight

    return get_weight(DETECTORS[name][1])


def cache_path(name: str) -> Path:
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(_weights(name).url)


def how_to_get(name: str) -> str:
    return (f"{DETECTORS[name][0]} weights are not downloaded yet: on a machine with internet run "
            f"python -c \"import torchvision; torchvision.models.get_weight('{DETECTORS[name][1]}').get_state_dict()\" "
            f"(or copy the file to {cache_path(name)})")


def load(name: str):
    """The detector with its COCO weights from the cache, frozen; ModelUnavailable (with the step) when missing."""
    import torch
    import torchvision

    if name not in DETECTORS:
        raise ModelUnavailable(f"unknown detector '{name}': choose digits or {', '.join(DETECTORS)}")
    path = cache_path(name)
    if not path.is_file():
        raise ModelUnavailable(how_to_get(name))
    model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None,
                                                         num_classes=len(_weights(name).meta["categories"]))
    model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"), strict=True)
    return model.eval().requires_grad_(False)


def shared(name: str) -> Any:
    """One frozen detector with its COCO weights per process, shared by every session (never modified)."""
    return _models.get(("detector", name), lambda: load(name))


def shared_architecture(name: str) -> Any:
    """The detector's layers with random weights (no download): enough for its anchors, shared read-only."""
    return _models.get(("architecture", name), lambda: architecture(name))


def _run_once(what: str, name: str, rgb: np.ndarray, make: Callable[[], Any]) -> Any:
    return _runs.get((what, name, digest(rgb)), make)


def found_ready(name: str, rgb: np.ndarray) -> list[Found] | None:
    """The photo's detections if this process already ran them (no queue needed), else None."""
    return _runs.peek(("found", name, digest(rgb)))


def found_on(name: str, rgb: np.ndarray) -> list[Found]:
    """Every detection on the photo down to FLOOR, run once per (detector, photo) and shared read-only."""
    return _run_once("found", name, rgb, lambda: detect(name, rgb, FLOOR, model=shared(name)))


def proposals_ready(name: str, rgb: np.ndarray) -> Proposals | None:
    """The photo's region proposals if this process already computed them, else None."""
    return _runs.peek(("proposals", name, digest(rgb)))


def proposals_on(name: str, rgb: np.ndarray) -> Proposals:
    """Faster R-CNN's first stage on the photo (see `proposals`), once per (detector, photo), shared read-only."""
    return _run_once("proposals", name, rgb, lambda: proposals(rgb, shared(name)))


def anchors_on(name: str, rgb: np.ndarray) -> list[AnchorLevel]:
    """The anchors the detector's architecture lays over the photo (no weights needed), once per photo size."""
    return _runs.get(("anchors", name, rgb.shape[:2]), lambda: anchor_levels(rgb, shared_architecture(name)))


@dataclass(frozen=True)
class Found:
    box: tuple[float, float, float, float]
    label: str
    score: float


def detect(name: str, rgb: np.ndarray, threshold: float = 0.5, model=None) -> list[Found]:
    """Detections on a photo (H×W×3 uint8), boxes in its pixels, best first."""
    import torch

    from cnnviz.networks.tracing import running

    model = model or load(name)
    x = torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 255.0).permute(2, 0, 1)
    with torch.no_grad(), running():
        out = model([x])[0]
    names = _weights(name).meta["categories"]
    found = [Found((float(b[0]), float(b[1]), float(b[2]), float(b[3])), names[int(lab)], float(s))
             for b, lab, s in zip(out["boxes"], out["labels"], out["scores"]) if float(s) >= threshold]
    return sorted(found, key=lambda f: -f.score)


@dataclass(frozen=True)
class Proposals:
    boxes: np.ndarray  # N×4 in the photo's pixels, best objectness first (before the RPN's NMS)
    objectness: np.ndarray  # N, sigmoid of the RPN's logit
    anchors: int  # how many anchors the RPN scored
    levels: list[tuple[int, int, int]]  # (anchors per position, rows, columns) of each FPN level


def proposals(rgb: np.ndarray, model, top: int = 50) -> Proposals:
    """Faster R-CNN's first stage: every anchor's objectness and corrected box, the `top` best before NMS.

    Runs the network's own parts (transform, backbone, RPN head, anchor generator, box coder)
    on a read-only model: nothing is hooked or changed.
    """
    import torch
    from torchvision.models.detection.rpn import concat_box_prediction_layers

    from cnnviz.networks.tracing import running

    x = torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 255.0).permute(2, 0, 1)
    with torch.no_grad(), running():
        images, _ = model.transform([x])
        features = list(model.backbone(images.tensors).values())
        logits, deltas = model.rpn.head(features)
        anchors = model.rpn.anchor_generator(images, features)
        levels = [(int(o.shape[1]), int(o.shape[2]), int(o.shape[3])) for o in logits]
        flat_logits, flat_deltas = concat_box_prediction_layers(logits, deltas)
        boxes = model.rpn.box_coder.decode(flat_deltas, anchors).view(-1, 4)
        scores = torch.sigmoid(flat_logits.view(-1))
    order = torch.argsort(scores, descending=True)[:top]
    (h, w), (oh, ow) = images.image_sizes[0], x.shape[1:]
    scale = torch.tensor([ow / w, oh / h, ow / w, oh / h])
    return Proposals((boxes[order] * scale).numpy(), scores[order].numpy(), int(scores.numel()), levels)


def architecture(name: str):
    """The detector's architecture with random weights, for what does not depend on weights (its anchors).

    Needs no download, so the anchors can be shown offline too.
    """
    import torchvision

    if name not in DETECTORS:
        raise ModelUnavailable(f"unknown detector '{name}': choose one of {', '.join(DETECTORS)}")
    model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None,
                                                         num_classes=len(_weights(name).meta["categories"]))
    return model.eval().requires_grad_(False)


@dataclass(frozen=True)
class AnchorLevel:
    """The anchors of one feature map, in the photo's pixels."""

    rows: int
    cols: int
    per_position: int
    stride: tuple[float, float]  # photo pixels between neighbouring positions (x, y)
    boxes: np.ndarray  # rows·cols·per_position × 4
    centres: np.ndarray  # rows·cols × 2 (x, y), one per position

    def at(self, x: float, y: float) -> tuple[int, int, np.ndarray]:
        """(row, col, the per_position boxes) of the position whose centre is nearest (x, y)."""
        i = int(np.argmin(((self.centres - np.array([x, y])) ** 2).sum(axis=1)))
        return i // self.cols, i % self.cols, self.boxes[i * self.per_position:(i + 1) * self.per_position]


def level_name(i: int, lv: AnchorLevel) -> str:
    """"map 2: 10×10, every 60 px across and 40 px down" — on the photo's own scale (a squashed photo's positions
    are spaced differently across and down)."""
    sx, sy = lv.stride
    every = f"every {sx:.0f} px" if round(sx) == round(sy) else f"every {sx:.0f} px across, {sy:.0f} px down"
    return f"map {i + 1}: {lv.rows}×{lv.cols}, {every}"


def resize_sentence(model, photo_hw: tuple[int, int]) -> str:
    """How the detector resizes the photo before its backbone (the anchors above are scaled back to the photo)."""
    t = model.transform
    h, w = photo_hw
    fixed = getattr(t, "fixed_size", None)
    if fixed:
        fh, fw = fixed
        return (f"The detector squashes your {w}×{h} photo to {fw}×{fh} (width ×{fw / w:.2f}, height ×{fh / h:.2f}) "
                "before its backbone; scaled back to the photo, its positions are spaced differently across and "
                "down, and a square anchor becomes a rectangle" + (" — the photo is not square." if w != h else "."))
    scale = min(float(t.min_size[-1]) / min(h, w), float(t.max_size) / max(h, w))
    return (f"The detector resizes your {w}×{h} photo by ×{scale:.2f} (short side {t.min_size[-1]} px, long side at "
            f"most {t.max_size} px) before its backbone; the numbers here are on your photo's own scale (÷{scale:.2f}).")


def same_size_note(levels: list[AnchorLevel]) -> str | None:
    """Why two feature maps have the same size (Faster R-CNN MobileNetV3-FPN's first two), or None."""
    sizes = [(lv.rows, lv.cols) for lv in levels]
    twins = [i for i in range(1, len(sizes)) if sizes[i] == sizes[i - 1]]
    if not twins:
        return None
    i = twins[0]
    same = np.allclose(levels[i].boxes, levels[i - 1].boxes)
    return (f"Maps {i} and {i + 1} are the same size{' and lay the same anchors' if same else ''}: the FPN takes "
            "them from two stages of the backbone that work at the same resolution (MobileNetV3's last two stages "
            "are both at 1/32 of the resized photo). What differs is the features each anchor is scored from, "
            "not where the anchors sit.")


def anchor_levels(rgb: np.ndarray, model) -> list[AnchorLevel]:
    """Every anchor the detector lays over this photo, level by level, from its own anchor generator.

    The generator works on the resized image (Faster R-CNN: shorter side 800; SSDlite: 320×320);
    boxes are scaled back to the photo. Within a level, anchors are position-major (each
    position's anchors together), the order both generators produce.
    """
    import torch

    from cnnviz.networks.tracing import running

    x = torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 255.0).permute(2, 0, 1)
    with torch.no_grad(), running():
        images, _ = model.transform([x])
        features = list(model.backbone(images.tensors).values())
        generator = model.rpn.anchor_generator if hasattr(model, "rpn") else model.anchor_generator
        anchors = generator(images, features)[0]
    per = generator.num_anchors_per_location()
    (h, w), (oh, ow) = images.image_sizes[0], x.shape[1:]
    th, tw = images.tensors.shape[-2:]  # the padded batch the generator measures its strides on
    scale = np.array([ow / w, oh / h, ow / w, oh / h])
    levels, start = [], 0
    for a, f in zip(per, features):
        rows, cols = int(f.shape[-2]), int(f.shape[-1])
        n = rows * cols * a
        boxes = anchors[start:start + n].numpy() * scale
        start += n
        centres = ((boxes[::a, :2] + boxes[::a, 2:]) / 2)
        levels.append(AnchorLevel(rows, cols, int(a), ((tw // cols) * ow / w, (th // rows) * oh / h), boxes, centres))
    if start != anchors.shape[0]:
        raise RuntimeError(f"anchor count {anchors.shape[0]} does not match the levels ({start})")
    return levels
