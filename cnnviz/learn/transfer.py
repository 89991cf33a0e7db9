"""Transfer learning on a few photos per class, with a pretrained ImageNet backbone.

EfficientNet-Lite0 works offline; ResNet-18/50, GoogLeNet, AlexNet and VGG-16 work once their
torchvision weights are in the torch hub cache. Three strategies, as the lecture notes teach them:
  head    frozen backbone, a new linear classifier on its pooled features (computed once);
  last-k  the last k blocks and a new classifier are trained, the rest frozen;
  all     everything is trained, early layers with a 10× smaller learning rate.
Fine-tuning always works on a private deep copy: the shared model is never changed.
"""

from __future__ import annotations

import copy
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageEnhance
from torch import nn

from cnnviz.errors import CnnvizError
from cnnviz.images import load_sample
from cnnviz.learn.background_run import BackgroundRun
from cnnviz.learn.seeding import init_parameters, seeded_dropout
from cnnviz.networks.network import get
from cnnviz.networks.specs import SPECS, Backbone
from cnnviz.networks.tracing import running

if TYPE_CHECKING:
    from cnnviz.networks.probe import Prediction

LIMITS: dict[str, Any] = {"classes": (2, 10), "images_per_class": 40, "epochs": 30, "side": 512}
STRATEGIES = ("head", "last-k", "all")


# Transfer learning reads each network's backbone facts from its spec (feature node, classifier, blocks).
BACKBONES: dict[str, Backbone] = {n: s.backbone for n, s in SPECS.items() if s.backbone is not None}
DEFAULT_BACKBONE = "efficientnet_lite0"


BATCH = 8  # images per step, for every strategy: an epoch is one pass over the training images


def available_backbones() -> list[str]:
    """Backbones whose weights are on this machine (EfficientNet-Lite0 always; torchvision ones once cached)."""
    from cnnviz.networks import registry

    return [n for n in BACKBONES if registry.weight_status(n).state != registry.MISSING]


def backbone(name: str) -> Backbone:
    if name not in BACKBONES:
        raise CnnvizError(f"unknown backbone '{name}': choose from {', '.join(BACKBONES)}")
    return BACKBONES[name]


def feature_width(name: str) -> int:
    """Width of the backbone's feature vector (= in_features of its ImageNet classifier)."""
    head = get(name).module().get_submodule(backbone(name).classifier)
    assert isinstance(head, nn.Linear)
    return head.in_features


@dataclass
class Dataset:
    classes: list[str]
    images: list[np.ndarray]  # RGB uint8
    labels: list[int]
    heldout: list[int] | None = None  # indices fixed as held-out (different photos); None: a random quarter

    def check(self) -> None:
        lo, hi = LIMITS["classes"]
        if not lo <= len(self.classes) <= hi:
            raise CnnvizError(f"give between {lo} and {hi} classes (got {len(self.classes)})")
        names = [c.strip() for c in self.classes]
        if not all(names):
            raise CnnvizError("every class needs a name")
        if len(set(names)) < len(names):
            raise CnnvizError("two classes have the same name: give each class its own")
        counts = np.bincount(self.labels, minlength=len(self.classes))
        if counts.min() < 2:
            raise CnnvizError(f"every class needs at least 2 images ('{self.classes[int(counts.argmin())]}' has "
                              f"{int(counts.min())})")
        if counts.max() > LIMITS["images_per_class"]:
            raise CnnvizError(f"at most {LIMITS['images_per_class']} images per class")


def prepare_photo(data: bytes, name: str) -> np.ndarray:
    """An uploaded photo for training: decoded safely and shrunk so its longer side is at most LIMITS["side"].

    The networks read 224×224 crops, so nothing is lost, and 400 photos stay a few hundred MB at most.
    """
    from cnnviz.images import load_image, resize_max

    return resize_max(load_image(data, name), LIMITS["side"])


def augment(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random crop (60–100 %), flip, brightness and colour change of a photo."""
    img = Image.fromarray(rgb)
    w, h = img.size
    s = rng.uniform(0.6, 1.0)
    cw, ch = int(w * s), int(h * s)
    left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = img.crop((left, top, left + cw, top + ch))
    if rng.random() < 0.5:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.7, 1.3))
    img = ImageEnhance.Color(img).enhance(rng.uniform(0.7, 1.3))
    return np.asarray(img)


def augmented_dataset(per_class: int = 12, seed: int = 0,
                      photos: tuple[str, ...] = ("Chelsea the cat", "Coffee", "Rocket launch")) -> Dataset:
    """Augmented crops of the sample photos, one class per photo: for exercising the machinery (tests, benches),
    never for judging accuracy — its 'held-out' images are copies of its training photos."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for k, title in enumerate(photos):
        base = load_sample(title)
        for _ in range(per_class):
            images.append(augment(base, rng))
            labels.append(k)
    return Dataset([f"{t} (augmented)" for t in photos], images, labels)


DEMO_DIGITS = (4, 7, 9)  # a confusable trio: ImageNet features separate them, but not at once


def demo_dataset(per_class: int = 12, heldout_per_class: int = 8, digits: tuple[int, ...] = DEMO_DIGITS
                 ) -> Dataset:
    """The DEMO set: handwritten digits, every image a different person's digit, written dark on light.

    Training images come from LeNet-5's 4,000 training digits, held-out ones from its 1,000
    held-out digits — different photos, so the held-out accuracy measures what was learned.
    """
    from cnnviz.networks.lenet import mnist_split

    xtr, ytr, xte, yte = mnist_split()
    images: list[np.ndarray] = []
    labels: list[int] = []
    heldout: list[int] = []
    for k, d in enumerate(digits):
        for pool, targets, n, held in ((xtr, ytr, per_class, False), (xte, yte, heldout_per_class, True)):
            for i in np.flatnonzero(targets == d)[:n]:
                if held:
                    heldout.append(len(images))
                images.append(np.repeat((255 - pool[i])[..., None], 3, axis=-1))
                labels.append(k)
    return Dataset([f"digit {d}" for d in digits], images, labels, heldout)


def split(ds: Dataset, heldout: float = 0.25, seed: int = 0) -> tuple[list[int], list[int]]:
    """Stratified train / held-out indices (at least one held-out image per class), or the dataset's own split."""
    if ds.heldout is not None:
        held = set(ds.heldout)
        return [i for i in range(len(ds.images)) if i not in held], sorted(held)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(len(ds.classes)):
        idx = [i for i, lab in enumerate(ds.labels) if lab == c]
        rng.shuffle(idx)
        n_test = max(1, int(round(len(idx) * heldout)))
        test += idx[:n_test]
        train += idx[n_test:]
    return sorted(train), sorted(test)


def batch(images: list[np.ndarray], name: str = DEFAULT_BACKBONE) -> torch.Tensor:
    return torch.cat([get(name).preprocess(im) for im in images])


def features(images: list[np.ndarray], device: str = "cpu", chunk: int = 16,
             name: str = DEFAULT_BACKBONE) -> torch.Tensor:
    """Pooled features of the frozen backbone (what its ImageNet classifier reads)."""
    from cnnviz.networks.probe import extractor

    node = backbone(name).feature_node
    fx = extractor(get(name), (node,), device)
    out = []
    for i in range(0, len(images), chunk):
        with running(), torch.no_grad():
            out.append(fx(batch(images[i : i + chunk], name).to(device))[node].cpu())
    return torch.cat(out)


def cached_features(images: list[np.ndarray], cache: dict, device: str = "cpu",
                    name: str = DEFAULT_BACKBONE) -> torch.Tensor:
    """features() for each image once per cache (keyed by backbone and the image's bytes): retraining is instant."""
    import hashlib

    keys = [(name, hashlib.sha1(np.ascontiguousarray(im).tobytes() + str(im.shape).encode()).hexdigest())
            for im in images]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    if todo:
        for i, f in zip(todo, features([images[i] for i in todo], device, name=name)):
            cache[keys[i]] = f
    return torch.stack([cache[k] for k in keys])


def with_module(root: nn.Module, path: str, new: nn.Module) -> nn.Module:
    """A shallow copy of `root` with the submodule at `path` replaced; every other module is shared, not copied.

    Only the containers on the path are copied, so the shared model itself never changes.
    """
    head, _, rest = path.partition(".")
    twin = copy.copy(root)
    for k, v in root.__dict__.items():  # own parameter, buffer, module and hook tables: editing the twin's
        if isinstance(v, dict):           # (a hook, a module) can never reach the shared model
            twin.__dict__[k] = copy.copy(v)
    child = root._modules[head]
    assert child is not None, path
    twin._modules[head] = with_module(child, rest, new) if rest else new
    return twin


@dataclass
class Classifier:
    """A trained classifier for the user's classes: the backbone plus what training changed."""

    backbone: str
    classes: list[str]
    strategy: str
    network: nn.Module  # photo tensor → class logits (the whole network)
    changed: dict[str, torch.Tensor]  # full-path state-dict entries that differ from the pretrained backbone
    head: nn.Linear | None = None  # set when only the classifier changed: predictions reuse the shared features

    def predict(self, images: list[np.ndarray], device: str = "cpu") -> np.ndarray:
        """Class probabilities [N, classes]. The classifier itself stays on the CPU (pages share it by name)."""
        with running(), torch.no_grad():
            if self.head is not None:  # the shared extractor on `device`, the tiny head on the CPU
                logits = self.head(features(images, device, name=self.backbone).cpu())
            else:
                net = self.network if str(device) == "cpu" else self._on(str(device))
                logits = net(batch(images, self.backbone).to(device))
        return logits.softmax(1).cpu().numpy()

    def _on(self, device: str) -> nn.Module:
        cache = self.__dict__.setdefault("_device_copies", {})
        if device not in cache:
            cache[device] = copy.deepcopy(self.network).to(device)
        return cache[device]

    def to_bytes(self) -> bytes:
        """What training changed, as a state dict with the class names and the backbone, for download."""
        buf = io.BytesIO()
        torch.save({"format": "cnn-explorer-classifier/1", "backbone": self.backbone, "strategy": self.strategy,
                    "classes": list(self.classes), "state_dict": {k: v.cpu() for k, v in self.changed.items()}}, buf)
        return buf.getvalue()

    @property
    def size_mb(self) -> float:
        return sum(v.numel() * v.element_size() for v in self.changed.values()) / 1e6

    def session_model(self, accuracy: float | None = None):
        """This classifier, usable by name on the network pages for this session (its classes as labels)."""
        from cnnviz.networks import session_models

        how = {"head": "frozen backbone + new head", "last-k": "last blocks fine-tuned",
               "all": "fine-tuned throughout"}.get(self.strategy, self.strategy)
        acc = f", {100 * accuracy:.0f} % held-out" if accuracy is not None else ""
        return session_models.register(
            self.backbone, self.network,
            f"Your {len(self.classes)}-class classifier ({get(self.backbone).title}, {how}{acc})",
            self.classes, f"Transfer-learned in this session from {get(self.backbone).title} ({how}) for "
            f"{len(self.classes)} classes: {', '.join(self.classes)}. Its feature maps are the backbone's"
            + (" (unchanged)." if self.head is not None else ", changed where it was fine-tuned."))


def _classifier(name: str, classes: list[str], strategy: str, network: nn.Module, changed_modules: list[str],
                head: nn.Linear | None) -> Classifier:
    if head is None:  # a private network (a head-only one shares the frozen backbone: left exactly as it is)
        network.cpu().eval().requires_grad_(False)
    sd = network.state_dict()
    prefixes = tuple(m + "." for m in changed_modules)
    changed = {k: v.detach().clone() for k, v in sd.items() if k.startswith(prefixes)}
    return Classifier(name, list(classes), strategy, network, changed, head.cpu().eval() if head is not None else None)


def head_classifier(name: str, head: nn.Linear, classes: list[str]) -> Classifier:
    """The shared frozen backbone with a new linear classifier (only the head is new memory)."""
    head = head.cpu().eval().requires_grad_(False)
    network = with_module(get(name).module(), backbone(name).classifier, head)
    return _classifier(name, classes, "head", network, [backbone(name).classifier], head)


def load_classifier(data: bytes) -> Classifier:
    """A downloaded classifier back into a working network (weights only; names and shapes checked)."""
    try:
        obj = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        sd, classes = dict(obj["state_dict"]), [str(c) for c in obj["classes"]]
        name, strategy = str(obj.get("backbone", DEFAULT_BACKBONE)), str(obj.get("strategy", "head"))
    except Exception as e:  # noqa: BLE001 - any malformed file gets one message
        raise CnnvizError(f"not a CNN Explorer classifier file ({e.__class__.__name__})") from None
    if name not in BACKBONES:
        raise CnnvizError(f"this file was trained on '{name}', which this app does not know")
    if name not in available_backbones():
        raise CnnvizError(f"this file needs the {get(name).title} weights, which are not on this machine: "
                          "see the home page for how to get them")
    spec = backbone(name)
    if set(sd) == {"weight", "bias"}:  # the first format: a bare head
        sd = {f"{spec.classifier}.{k}": v for k, v in sd.items()}
    w = sd.get(f"{spec.classifier}.weight")
    width = feature_width(name)
    if w is None or w.ndim != 2 or w.shape != (len(classes), width) or not 2 <= len(classes) <= LIMITS["classes"][1]:
        raise CnnvizError(f"this file's classifier does not fit {get(name).title}'s {width} features "
                          f"and its {len(classes)} class names")
    head = nn.Linear(width, len(classes))
    head.load_state_dict({"weight": w, "bias": sd[f"{spec.classifier}.bias"]}, strict=True)
    if all(k.startswith(spec.classifier + ".") for k in sd):
        return head_classifier(name, head, classes)
    network = with_module(copy.deepcopy(get(name).module()), spec.classifier, head)
    own = network.state_dict()
    wrong = [k for k, v in sd.items() if k not in own or own[k].shape != v.shape]
    if wrong:
        raise CnnvizError(f"this file's weights do not fit {get(name).title} ({len(wrong)} mismatched, e.g. {wrong[0]})")
    network.load_state_dict(sd, strict=False)
    modules = sorted({k.rsplit(".", 1)[0] for k in sd})
    return _classifier(name, classes, strategy, network, modules, None)


@dataclass
class TransferResult:
    strategy: str
    classes: list[str]
    backbone: str = DEFAULT_BACKBONE
    history: list[dict] = field(default_factory=list)  # epoch, loss, train_acc, heldout_acc
    trainable_params: int = 0
    total_params: int = 0
    trainable_layers: list[str] = field(default_factory=list)
    seconds: float = 0.0
    classifier: Classifier | None = None

    @property
    def heldout_accuracy(self) -> float:
        return self.history[-1]["heldout_acc"] if self.history else 0.0

    def predict(self, images: list[np.ndarray], device: str = "cpu") -> np.ndarray:
        assert self.classifier is not None, "train() sets the classifier"
        return self.classifier.predict(images, device)


def _acc(logits: torch.Tensor, y: torch.Tensor) -> float:
    return float((logits.argmax(1) == y).float().mean())


def _frozen_batchnorm_train(model: nn.Module) -> None:
    """Train mode, but BatchNorm statistics stay ImageNet's: a few photos would wreck them."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def check_request(ds: Dataset, strategies: list[str], epochs: int) -> None:
    """The data set, strategies and epochs a training asks for, against the stated limits."""
    for strategy in strategies:
        if strategy not in STRATEGIES:
            raise CnnvizError(f"unknown strategy '{strategy}': use {', '.join(STRATEGIES)}")
    if not 1 <= epochs <= LIMITS["epochs"]:
        raise CnnvizError(f"epochs must be 1–{LIMITS['epochs']}")
    ds.check()


class TrainingStopped(Exception):
    """Raised inside train() when its `should_stop` says so (between batches)."""


def train(ds: Dataset, strategy: str = "head", k: int = 2, epochs: int = 10, lr: float = 1e-3, seed: int = 0,
          device: str = "cpu", callback=None, train_idx=None, test_idx=None,
          feature_cache: dict | None = None, name: str = DEFAULT_BACKBONE,
          should_stop: Callable[[], bool] | None = None) -> TransferResult:
    """One strategy on the data set, epoch by epoch in the project's one loop (learn.loop); `callback(row)` after
    each epoch with its loss and accuracies; TrainingStopped when `should_stop()` says so (between batches)."""
    check_request(ds, [strategy], epochs)
    if train_idx is None:
        train_idx, test_idx = split(ds, seed=seed)
    gen = torch.Generator().manual_seed(seed)  # this run's randomness: never the process-wide RNG
    y = torch.tensor(ds.labels)
    split_y = (y[train_idx].to(device), y[test_idx].to(device))
    res = TransferResult(strategy, list(ds.classes), name)
    t0 = time.perf_counter()
    epoch = _Epochs(epochs, gen, should_stop, callback, res)
    if strategy == "head":
        _train_head(ds, res, epoch, split_y, (train_idx, test_idx), lr, device, feature_cache)
    else:
        _fine_tune(ds, res, epoch, split_y, (train_idx, test_idx), strategy, k, lr, device, seed)
    res.seconds = time.perf_counter() - t0
    return res


@dataclass
class _Epochs:
    """What every strategy's epochs share: how many, the run's generator, the stop flag, the per-epoch report."""

    epochs: int
    gen: torch.Generator
    should_stop: Callable[[], bool] | None
    callback: Callable[[dict], None] | None
    res: TransferResult

    def run(self, model: nn.Module, n: int, batch_loss: Callable[[torch.Tensor, int], torch.Tensor],
            opt: torch.optim.Optimizer, evaluate: Callable[[], tuple[float, float]],
            train_mode: Callable[[nn.Module], object] = nn.Module.train) -> None:
        """Each epoch: one pass of the loop over the training images, then (train, held-out) accuracy."""
        from cnnviz.learn import loop

        for epoch in range(1, self.epochs + 1):
            window = loop.LossWindow()
            end = loop.train_batches(model, n, batch_loss, opt, epochs=1, batch_size=BATCH, gen=self.gen,
                                     stopping=self.should_stop or (lambda: False), train_mode=train_mode,
                                     after_step=window.add)
            if end.stopped:
                raise TrainingStopped
            if end.nan_at_step is not None:
                raise CnnvizError(f"the {end.nan_in} was not finite at step {end.nan_at_step} of epoch {epoch}: "
                                  "lower the learning rate")
            model.eval()
            with running(), torch.no_grad():
                train_acc, heldout_acc = evaluate()
            row = {"epoch": epoch, "loss": window.take(), "train_acc": train_acc, "heldout_acc": heldout_acc}
            self.res.history.append(row)
            if self.callback:
                self.callback(row)


def _train_head(ds: Dataset, res: TransferResult, epochs: _Epochs, ys: tuple[torch.Tensor, torch.Tensor],
                idx: tuple, lr: float, device: str, feature_cache: dict | None) -> None:
    """A new classifier on the frozen backbone's features, computed once (once per session with a cache): every
    epoch and every retraining after is instant."""
    name, (ytr, yte) = res.backbone, ys
    feats = cached_features(ds.images, feature_cache, device, name) if feature_cache is not None \
        else features(ds.images, device, name=name)
    ftr, fte = feats[idx[0]].to(device), feats[idx[1]].to(device)
    width, n = feature_width(name), len(ds.classes)
    head = init_parameters(nn.Linear(width, n), epochs.gen).to(device)
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=1e-4)
    epochs.run(head, len(ytr), lambda i, _: F.cross_entropy(head(ftr[i]), ytr[i]), opt,
               lambda: (_acc(head(ftr), ytr), _acc(head(fte), yte)))
    res.trainable_params = sum(p.numel() for p in head.parameters())
    res.trainable_layers = [f"new classifier ({width} → {n})"]
    shared, spec = get(name).module(), backbone(name)
    res.total_params = sum(p.numel() for p in shared.parameters()) \
        - sum(p.numel() for p in shared.get_submodule(spec.classifier).parameters()) + res.trainable_params
    res.classifier = head_classifier(name, head, ds.classes)


def _trainable(model: nn.Module, spec: Backbone, strategy: str, k: int, lr: float
               ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(parameter groups, module names, their description) of a fine-tune: the last k blocks, or all of them with
    the early half at a tenth of the learning rate."""
    n_blocks = spec.block_count()
    if strategy == "last-k":
        k = int(np.clip(k, 1, n_blocks))
        names = list(spec.blocks[n_blocks - k :]) + list(spec.tail) + [spec.classifier]
        trainable = [model.get_submodule(m) for m in names]
        for m in trainable:
            m.requires_grad_(True)
        return [{"params": [p for m in trainable for p in m.parameters()], "lr": lr}], names, \
            names[:-1] + ["new classifier"]
    model.requires_grad_(True)
    late_names = list(spec.blocks[n_blocks // 2 :]) + list(spec.tail) + [spec.classifier]
    late = [p for m in late_names for p in model.get_submodule(m).parameters()]
    late_ids = {id(p) for p in late}
    early = [p for p in model.parameters() if id(p) not in late_ids]
    shown = [f"stem + {spec.blocks[0]} … {spec.blocks[n_blocks // 2 - 1]} (learning rate ÷ 10)",
             f"{spec.blocks[n_blocks // 2]} … {spec.blocks[-1]}, head, new classifier"]
    return [{"params": early, "lr": lr / 10}, {"params": late, "lr": lr}], [n_ for n_, _ in model.named_children()], \
        shown


def _fine_tune(ds: Dataset, res: TransferResult, epochs: _Epochs, ys: tuple[torch.Tensor, torch.Tensor], idx: tuple,
               strategy: str, k: int, lr: float, device: str, seed: int) -> None:
    """A private copy of the backbone with a new classifier, its chosen blocks trained (batch norms keep ImageNet's
    statistics), a random horizontal flip per batch."""
    name, spec, (ytr, yte) = res.backbone, backbone(res.backbone), ys
    model = copy.deepcopy(get(name).module())  # private copy: the shared model never changes
    model = with_module(model, spec.classifier,
                        init_parameters(nn.Linear(feature_width(name), len(ds.classes)), epochs.gen)).to(device)
    seeded_dropout(model, epochs.gen)
    model.requires_grad_(False)
    groups, names, shown = _trainable(model, spec, strategy, k, lr)
    opt = torch.optim.Adam(groups, lr=lr)
    xte = batch([ds.images[i] for i in idx[1]], name).to(device)
    xtr = batch([ds.images[i] for i in idx[0]], name).to(device)
    epochs.gen = gen = torch.Generator().manual_seed(seed)

    def batch_loss(i: torch.Tensor, _: int) -> torch.Tensor:
        xb = xtr[i]
        if torch.rand(1, generator=gen) < 0.5:
            xb = torch.flip(xb, dims=(3,))
        return F.cross_entropy(model(xb), ytr[i])

    epochs.run(model, len(ytr), batch_loss, opt, lambda: (_acc(model(xtr), ytr), _acc(model(xte), yte)),
               train_mode=_frozen_batchnorm_train)
    res.trainable_params = sum(p.numel() for g in groups for p in g["params"])
    res.trainable_layers = shown
    res.total_params = sum(p.numel() for p in model.parameters())
    res.classifier = _classifier(name, ds.classes, strategy, model, names, None)


@dataclass(frozen=True)
class Judged:
    """One held-out photo as a trained strategy judged it."""

    image: np.ndarray
    true: int
    predicted: int
    confidence: float  # the predicted class's probability


def judge_heldout(result: TransferResult, ds: Dataset, test_idx, device: str = "cpu") -> list[Judged]:
    """The held-out photos (never trained on), each with the class `result` gives it and how sure it is."""
    held = [ds.images[i] for i in test_idx]
    probs = result.predict(held, device=device)
    return [Judged(im, int(ds.labels[i]), int(p.argmax()), float(p.max())) for im, i, p in zip(held, test_idx, probs)]


def top_classes(clf: Classifier, images: list[np.ndarray], top: int = 5, device: str = "cpu"
                ) -> list[list[Prediction]]:
    """Each photo's `top` classes by the classifier's probability, best first."""
    from cnnviz.networks.probe import Prediction

    out = []
    for p in clf.predict(images, device=device):
        best = sorted(range(len(p)), key=lambda i: -p[i])[:top]
        out.append([Prediction(clf.classes[i], i, float(p[i])) for i in best])
    return out


@dataclass
class TransferSnapshot:
    histories: dict[str, list[dict]]  # per strategy, the epochs so far
    results: dict[str, TransferResult]  # the strategies finished so far
    current: str | None
    done: bool
    stopped: bool
    error: str | None
    seconds: float


class TransferRun(BackgroundRun):
    """Strategies trained one after another beside the page, on one split, with live curves; stoppable."""

    thread_name = "transfer-learning"

    def __init__(self, ds: Dataset, strategies: list[str], k: int = 2, epochs: int = 10, lr: float = 1e-3,
                 name: str = DEFAULT_BACKBONE, device: str = "cpu", feature_cache: dict | None = None):
        check_request(ds, strategies, epochs)  # in the caller's thread: a message on the page, not a dead run
        super().__init__()
        self.ds, self.strategies, self.epochs = ds, list(strategies), epochs
        self._args: dict[str, Any] = {"k": k, "epochs": epochs, "lr": lr, "name": name, "device": device,
                                      "feature_cache": feature_cache}
        self.train_idx, self.test_idx = split(ds)
        self._histories: dict[str, list[dict]] = {s: [] for s in self.strategies}
        self._results: dict[str, TransferResult] = {}
        self._current: str | None = None
        self._stopped, self._error = False, None  # type: bool, str | None

    def _run(self) -> None:
        try:
            for strat in self.strategies:
                with self._lock:
                    self._current = strat
                res = train(self.ds, strat, callback=lambda row, s=strat: self._record(s, row),
                            train_idx=self.train_idx, test_idx=self.test_idx, should_stop=self.stopping, **self._args)
                with self._lock:
                    self._results[strat] = res
        except TrainingStopped:
            self._stopped = True
        except CnnvizError as e:
            self._error = str(e)
        except Exception as e:  # noqa: BLE001 - reported on the page, never a traceback
            self._error = f"{e.__class__.__name__}: {e}"
        finally:
            with self._lock:
                self._current = None

    def _record(self, strategy: str, row: dict) -> None:
        with self._lock:
            self._histories[strategy].append(dict(row))

    def snapshot(self) -> TransferSnapshot:
        with self._lock:
            return TransferSnapshot({s: list(h) for s, h in self._histories.items()}, dict(self._results),
                                    self._current, not self.running, self._stopped, self._error, self.seconds)


def load_folder(path: str) -> Dataset:
    """DATA_DIR/<class>/<image files> → Dataset (for the CLI)."""
    from pathlib import Path

    root = Path(path)
    if not root.is_dir():
        raise CnnvizError(f"{path} is not a folder")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir())
    images, labels = [], []
    for c, name in enumerate(classes):
        for f in sorted((root / name).iterdir()):
            if f.is_file():
                images.append(prepare_photo(f.read_bytes(), f.name))
                labels.append(c)
    return Dataset(classes, images, labels)
