"""Transfer learning on a few photos per class, with EfficientNet-Lite0 (offline) as the backbone.

Three strategies, as the lecture notes teach them:
  head    frozen backbone, a new linear classifier on its pooled features (computed once);
  last-k  the last k blocks and a new classifier are trained, the rest frozen;
  all     everything is trained, early layers with a 10× smaller learning rate.
Fine-tuning always works on a private deep copy: the shared model is never changed.
"""

from __future__ import annotations

import copy
import io
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageEnhance
from torch import nn

from cnnviz.errors import CnnvizError
from cnnviz.images import load_sample
from cnnviz.models import zoo

BACKBONE = "efficientnet_lite0"
LIMITS = {"classes": (2, 10), "images_per_class": 40, "epochs": 30, "side": 1024}
STRATEGIES = ("head", "last-k", "all")


@dataclass
class Dataset:
    classes: list[str]
    images: list[np.ndarray]  # RGB uint8
    labels: list[int]

    def check(self) -> None:
        lo, hi = LIMITS["classes"]
        if not lo <= len(self.classes) <= hi:
            raise CnnvizError(f"give between {lo} and {hi} classes (got {len(self.classes)})")
        counts = np.bincount(self.labels, minlength=len(self.classes))
        if counts.min() < 2:
            raise CnnvizError(f"every class needs at least 2 images ('{self.classes[int(counts.argmin())]}' has "
                              f"{int(counts.min())})")
        if counts.max() > LIMITS["images_per_class"]:
            raise CnnvizError(f"at most {LIMITS['images_per_class']} images per class")


def augment(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random crop (60–100 %), flip, brightness and colour change of a photo."""
    img = Image.fromarray(rgb)
    w, h = img.size
    s = rng.uniform(0.6, 1.0)
    cw, ch = int(w * s), int(h * s)
    left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = img.crop((left, top, left + cw, top + ch))
    if rng.random() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.7, 1.3))
    img = ImageEnhance.Color(img).enhance(rng.uniform(0.7, 1.3))
    return np.asarray(img)


def demo_dataset(per_class: int = 12, seed: int = 0,
                 photos: tuple[str, ...] = ("Chelsea the cat", "Coffee", "Rocket launch")) -> Dataset:
    """A labelled DEMO set: augmented crops of the sample photos, one class per photo."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for k, title in enumerate(photos):
        base = load_sample(title)
        for _ in range(per_class):
            images.append(augment(base, rng))
            labels.append(k)
    return Dataset([f"{t} (demo)" for t in photos], images, labels)


def split(ds: Dataset, heldout: float = 0.25, seed: int = 0) -> tuple[list[int], list[int]]:
    """Stratified train / held-out indices (at least one held-out image per class)."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(len(ds.classes)):
        idx = [i for i, lab in enumerate(ds.labels) if lab == c]
        rng.shuffle(idx)
        n_test = max(1, int(round(len(idx) * heldout)))
        test += idx[:n_test]
        train += idx[n_test:]
    return sorted(train), sorted(test)


def batch(images: list[np.ndarray]) -> torch.Tensor:
    return torch.cat([zoo.preprocess(BACKBONE, im) for im in images])


def features(images: list[np.ndarray], device: str = "cpu", chunk: int = 16) -> torch.Tensor:
    """Pooled 1280-d features of the frozen backbone (what the original classifier reads)."""
    from cnnviz.inspect import extractor

    fx = extractor(BACKBONE, ("flatten",), device)
    out = []
    with torch.no_grad():
        for i in range(0, len(images), chunk):
            out.append(fx(batch(images[i : i + chunk]).to(device))["flatten"].cpu())
    return torch.cat(out)


def cached_features(images: list[np.ndarray], cache: dict, device: str = "cpu") -> torch.Tensor:
    """features() for each image once per cache (keyed by the image's bytes): retraining the head is instant."""
    import hashlib

    keys = [hashlib.sha1(np.ascontiguousarray(im).tobytes() + str(im.shape).encode()).hexdigest() for im in images]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    if todo:
        for i, f in zip(todo, features([images[i] for i in todo], device)):
            cache[keys[i]] = f
    return torch.stack([cache[k] for k in keys])


@dataclass
class TransferResult:
    strategy: str
    classes: list[str]
    history: list[dict] = field(default_factory=list)  # epoch, loss, train_acc, heldout_acc
    trainable_params: int = 0
    total_params: int = 0
    trainable_layers: list[str] = field(default_factory=list)
    seconds: float = 0.0
    model: nn.Module | None = None  # head (for "head") or the fine-tuned copy

    @property
    def heldout_accuracy(self) -> float:
        return self.history[-1]["heldout_acc"] if self.history else 0.0

    def predict(self, images: list[np.ndarray], device: str = "cpu") -> np.ndarray:
        """Class probabilities [N, classes]."""
        with torch.no_grad():
            if self.strategy == "head":
                logits = self.model(features(images, device).to(device))
            else:
                logits = self.model(batch(images).to(device))
        return logits.softmax(1).cpu().numpy()

    def head_bytes(self) -> bytes:
        """The trained classifier as a state dict (with the class names), for download."""
        head = self.model if self.strategy == "head" else self.model._fc
        buf = io.BytesIO()
        torch.save({"state_dict": head.state_dict(), "classes": list(self.classes)}, buf)
        return buf.getvalue()


def load_head(data: bytes) -> tuple[nn.Linear, list[str]]:
    """A downloaded head back into a Linear layer (weights only; shapes checked)."""
    try:
        obj = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        sd, classes = obj["state_dict"], list(obj["classes"])
        head = nn.Linear(sd["weight"].shape[1], sd["weight"].shape[0])
        head.load_state_dict(sd, strict=True)
    except Exception as e:  # noqa: BLE001 - any malformed file gets one message
        raise CnnvizError(f"not a CNN Explorer classifier head ({e.__class__.__name__})") from None
    if head.in_features != 1280 or head.out_features != len(classes):
        raise CnnvizError("this head does not fit EfficientNet-Lite0's 1280 features")
    return head, classes


def _acc(logits: torch.Tensor, y: torch.Tensor) -> float:
    return float((logits.argmax(1) == y).float().mean())


def train(ds: Dataset, strategy: str = "head", k: int = 2, epochs: int = 10, lr: float = 1e-3, seed: int = 0,
          device: str = "cpu", callback=None, train_idx=None, test_idx=None,
          feature_cache: dict | None = None) -> TransferResult:
    if strategy not in STRATEGIES:
        raise CnnvizError(f"unknown strategy '{strategy}': use {', '.join(STRATEGIES)}")
    if not 1 <= epochs <= LIMITS["epochs"]:
        raise CnnvizError(f"epochs must be 1–{LIMITS['epochs']}")
    ds.check()
    if train_idx is None:
        train_idx, test_idx = split(ds, seed=seed)
    torch.manual_seed(seed)
    y = torch.tensor(ds.labels)
    ytr, yte = y[train_idx], y[test_idx]
    n = len(ds.classes)
    res = TransferResult(strategy, list(ds.classes))
    t0 = time.perf_counter()
    if strategy == "head":
        # computed once (and once per session with a cache): every epoch and every retraining after is instant
        feats = cached_features(ds.images, feature_cache, device) if feature_cache is not None \
            else features(ds.images, device)
        ftr, fte = feats[train_idx].to(device), feats[test_idx].to(device)
        head = nn.Linear(feats.shape[1], n).to(device)
        opt = torch.optim.Adam(head.parameters(), lr=lr * 10, weight_decay=1e-4)
        for epoch in range(1, epochs + 1):
            for _ in range(20):  # full-batch steps per epoch
                opt.zero_grad()
                loss = F.cross_entropy(head(ftr), ytr.to(device))
                loss.backward()
                opt.step()
            with torch.no_grad():
                row = {"epoch": epoch, "loss": loss.item(), "train_acc": _acc(head(ftr), ytr.to(device)),
                       "heldout_acc": _acc(head(fte), yte.to(device))}
            res.history.append(row)
            if callback:
                callback(row)
        res.model = head.eval()
        res.trainable_params = sum(p.numel() for p in head.parameters())
        res.trainable_layers = ["new classifier (1280 → %d)" % n]
        backbone = sum(p.numel() for name, p in zoo.shared_model(BACKBONE).named_parameters()
                       if not name.startswith("_fc."))
        res.total_params = backbone + res.trainable_params
    else:
        model = copy.deepcopy(zoo.shared_model(BACKBONE)).to(device)  # private copy
        model._fc = nn.Linear(1280, n).to(device)
        model.requires_grad_(False)
        n_blocks = len(model._blocks)
        if strategy == "last-k":
            k = int(np.clip(k, 1, n_blocks))
            trainable = [model._blocks[i] for i in range(n_blocks - k, n_blocks)] + [model._conv_head, model._bn1,
                                                                                    model._fc]
            names = [f"_blocks.{i}" for i in range(n_blocks - k, n_blocks)] + ["_conv_head", "_bn1", "new classifier"]
            for m in trainable:
                m.requires_grad_(True)
            groups = [{"params": [p for m in trainable for p in m.parameters()], "lr": lr}]
        else:
            model.requires_grad_(True)
            late = list(model._blocks[n_blocks // 2 :].parameters()) + list(model._conv_head.parameters()) + \
                list(model._bn1.parameters()) + list(model._fc.parameters())
            late_ids = {id(p) for p in late}
            early = [p for p in model.parameters() if id(p) not in late_ids]
            groups = [{"params": early, "lr": lr / 10}, {"params": late, "lr": lr}]
            names = [f"stem + blocks 0–{n_blocks // 2 - 1} (learning rate ÷ 10)", f"blocks {n_blocks // 2}–"
                     f"{n_blocks - 1}, head, new classifier"]
        opt = torch.optim.Adam(groups, lr=lr)
        xtr_imgs = [ds.images[i] for i in train_idx]
        xte = batch([ds.images[i] for i in test_idx]).to(device)
        xtr = batch(xtr_imgs).to(device)
        gen = torch.Generator().manual_seed(seed)
        for epoch in range(1, epochs + 1):
            model.train()
            for m in model.modules():  # BatchNorm statistics stay those of ImageNet: few images here
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
            perm = torch.randperm(len(train_idx), generator=gen)
            total = 0.0
            for i in range(0, len(perm), 8):
                idx = perm[i : i + 8]
                xb = xtr[idx]
                if torch.rand(1, generator=gen) < 0.5:
                    xb = torch.flip(xb, dims=(3,))
                opt.zero_grad()
                loss = F.cross_entropy(model(xb), ytr[idx].to(device))
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            model.eval()
            with torch.no_grad():
                row = {"epoch": epoch, "loss": total / len(perm), "train_acc": _acc(model(xtr), ytr.to(device)),
                       "heldout_acc": _acc(model(xte), yte.to(device))}
            res.history.append(row)
            if callback:
                callback(row)
        model.requires_grad_(False)
        res.model = model
        res.trainable_params = sum(p.numel() for g in groups for p in g["params"])
        res.trainable_layers = names
        res.total_params = sum(p.numel() for p in model.parameters())
    res.seconds = time.perf_counter() - t0
    return res


def load_folder(path: str) -> Dataset:
    """DATA_DIR/<class>/<image files> → Dataset (for the CLI)."""
    from pathlib import Path

    from cnnviz.images import load_image

    root = Path(path)
    if not root.is_dir():
        raise CnnvizError(f"{path} is not a folder")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir())
    images, labels = [], []
    for c, name in enumerate(classes):
        for f in sorted((root / name).iterdir()):
            if f.is_file():
                images.append(load_image(f.read_bytes(), f.name))
                labels.append(c)
    return Dataset(classes, images, labels)
