"""Why deep networks train: a CNN of 1–100 blocks on the 28×28 digits, built from the learner's choices, measured at
initialisation and while it trains.

The network: a 3×3 stem of stride 2 (28 → 14 px), then `depth` blocks of `width` channels, global average pooling and
a linear classifier. A plain block is 3×3 convolution → optional batch norm → activation. A residual block is the
pre-activation form (He et al. 2016, "Identity mappings"): x + conv(act(norm(x))), so the identity path really is an
identity; a stride-2 block's path is a 1×1 projection of stride 2, as in ResNet. Deleting a block (`lesion`, after
Veit et al. 2016) keeps only that path. Every random number comes from the run's own generator: same seed, same run.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.caching import KeyedCache
from cnnviz.errors import CnnvizError
from cnnviz.grids.questions import Question
from cnnviz.learn import loop, runs
from cnnviz.learn.seeding import init_parameters
from cnnviz.networks import lenet
from cnnviz.networks.tracing import runs_networks

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
INITS = ("default", "xavier", "he", "he-small", "he-large")
INIT_TITLES = {"default": "PyTorch's default", "xavier": "Xavier/Glorot", "he": "He/Kaiming",
               "he-small": "He ×0.5 (too small)", "he-large": "He ×2 (too large)"}
LIMITS: dict[str, tuple[float, float]] = {"depth": (1, 100), "width": (4, 64), "epochs": (1, 30), "lr": (1e-5, 1.0),
                                           "batch_size": (8, 512), "clip": (0.0, 100.0), "seed": (0, 10_000),
                                           "stride_at": (0, 100)}
CHOICES: dict[str, tuple[str, ...]] = {"activation": tuple(ACTIVATIONS), "init": INITS, "norm": ("none", "batch"),
                                       "skip": ("none", "identity"), "optimizer": ("adam", "sgd"),
                                       "schedule": ("one-cycle", "constant")}
INIT_BATCH = 64  # digits in the one batch measured at initialisation
EVALS_PER_EPOCH = 2
SATURATED = 0.1  # an activation is saturated where its slope is under this fraction of its largest


@dataclass(frozen=True)
class DepthConfig:
    """One network and its training. The defaults are the residual + batch-norm preset (≥ 90 % held out in 5 epochs)."""

    depth: int = 20
    width: int = 16
    activation: str = "relu"
    init: str = "he"
    norm: str = "batch"
    skip: str = "identity"
    stride_at: int = 1  # the block (1-based) that halves the map, 0: none
    clip: float = 0.0  # the global gradient norm at most, 0: off
    optimizer: str = "adam"
    lr: float = 0.01
    schedule: str = "one-cycle"
    batch_size: int = 128
    epochs: int = 5
    seed: int = 0

    def check(self) -> DepthConfig:
        """One clear message for a setting out of range (the page, the link and the CLI share it)."""
        runs.check_limits(self, LIMITS)
        if self.stride_at > self.depth:
            raise CnnvizError(f"the stride-2 block must be one of the {self.depth} blocks (or 0: none)")
        for name, options in CHOICES.items():
            if getattr(self, name) not in options:
                raise CnnvizError(f"{name} must be one of {', '.join(options)}")
        return self

    def label(self) -> str:
        """The settings in a few words, to tell runs apart on one chart."""
        return (f"{'residual' if self.skip == 'identity' else 'plain'} {self.depth}×{self.width} {self.activation}, "
                f"{INIT_TITLES[self.init].split(' (')[0]}{', BN' if self.norm == 'batch' else ''}"
                f"{f', clip {self.clip:g}' if self.clip else ''}, {self.optimizer} {self.lr:g}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DepthConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# -- the network ----------------------------------------------------------------------------------------------------

class Block(nn.Module):
    """One block; `deleted` leaves only its identity (or projection) path, for residual blocks."""

    def __init__(self, cfg: DepthConfig, stride: int) -> None:
        super().__init__()
        w = cfg.width
        self.residual = cfg.skip == "identity"
        self.conv = nn.Conv2d(w, w, 3, stride, 1, bias=cfg.norm == "none")
        self.norm: nn.Module = nn.BatchNorm2d(w) if cfg.norm == "batch" else nn.Identity()
        self.act = ACTIVATIONS[cfg.activation]()
        self.path: nn.Module = nn.Conv2d(w, w, 1, stride, bias=False) if self.residual and stride > 1 else nn.Identity()
        self.stride = stride
        self.deleted = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.residual:
            return self.path(x) if self.deleted else self.path(x) + self.conv(self.act(self.norm(x)))
        if self.deleted:
            return x[:, :, :: self.stride, :: self.stride]  # a plain block's "identity": its input, at its stride
        return self.act(self.norm(self.conv(x)))


class DeepNet(nn.Module):
    def __init__(self, cfg: DepthConfig) -> None:
        super().__init__()
        w = cfg.width
        self.stem = nn.Conv2d(1, w, 3, 2, 1)
        self.blocks = nn.ModuleList(Block(cfg, 2 if k + 1 == cfg.stride_at else 1) for k in range(cfg.depth))
        # pre-activation networks end with the normalisation and activation their last block left out
        self.head: nn.Module = (nn.Sequential(nn.BatchNorm2d(w) if cfg.norm == "batch" else nn.Identity(),
                                              ACTIVATIONS[cfg.activation]())
                                if cfg.skip == "identity" else nn.Identity())
        self.fc = nn.Linear(w, 10)

    def each_block(self) -> list[Block]:
        """The blocks, typed (a ModuleList only knows it holds modules)."""
        return cast(list[Block], list(self.blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.fc(self.head(x).mean((2, 3)))


def init_std(scheme: str, fan_in: int, fan_out: int) -> float:
    """The standard deviation each initialisation gives a weight (PyTorch's default: uniform ±1/√fan_in)."""
    if scheme == "default":
        return 1 / math.sqrt(3 * fan_in)
    if scheme == "xavier":
        return math.sqrt(2 / (fan_in + fan_out))
    return math.sqrt(2 / fan_in) * {"he": 1.0, "he-small": 0.5, "he-large": 2.0}[scheme]


def initialise(model: nn.Module, scheme: str, gen: torch.Generator) -> nn.Module:
    """Every convolution and linear layer drawn by `scheme` from `gen` (biases zero, except PyTorch's default)."""
    if scheme == "default":
        return init_parameters(model, gen)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in, fan_out = m.weight[0].numel(), m.weight.shape[0] * m.weight[0, 0].numel()
            with torch.no_grad():
                nn.init.normal_(m.weight, 0.0, init_std(scheme, fan_in, fan_out), generator=gen)
                if m.bias is not None:
                    m.bias.zero_()
    return model


def build(cfg: DepthConfig) -> tuple[DeepNet, torch.Generator]:
    """The network of `cfg`, initialised from its seed, and the generator the run goes on drawing from."""
    gen = torch.Generator().manual_seed(cfg.seed)
    return initialise(DeepNet(cfg.check()), cfg.init, gen), gen  # type: ignore[return-value]


_DIGITS = KeyedCache(1)


def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 4,000 training and 1,000 held-out digits as normalised 28×28 tensors (built once, shared, only read)."""

    def make() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        xtr, ytr, xte, yte = lenet.mnist_split()
        crop = (..., slice(2, 30), slice(2, 30))  # LeNet's 32-px padding taken off again
        return lenet.to_tensor(xtr)[crop], torch.tensor(ytr), lenet.to_tensor(xte)[crop], torch.tensor(yte)

    return _DIGITS.get("digits", make)


def block_grad_norms(model: DeepNet) -> list[float]:
    """‖∂L/∂W‖ of each block's convolution, first block first (0 where no gradient has flowed)."""
    return [float(b.conv.weight.grad.norm()) if b.conv.weight.grad is not None else 0.0 for b in model.each_block()]


def activation_stats(out: torch.Tensor, activation: str) -> dict[str, float | None]:
    """Mean and spread of a block's activation output; for sigmoid/tanh the fraction saturated (its slope under a
    tenth of its largest, so almost no gradient passes), for ReLU the fraction of units dead on the whole batch
    (zero for every digit)."""
    stats: dict[str, float | None] = {"mean": float(out.mean()), "std": float(out.std()), "saturated": None,
                                      "dead": None}
    if activation == "sigmoid":
        stats["saturated"] = float((out * (1 - out) < 0.25 * SATURATED).float().mean())
    elif activation == "tanh":
        stats["saturated"] = float((1 - out**2 < SATURATED).float().mean())
    else:
        stats["dead"] = float((out <= 0).all(dim=0).float().mean())
    return stats


# -- at initialisation ----------------------------------------------------------------------------------------------

@dataclass
class InitReport:
    """One batch forward and backward through the untrained network: what each block passes on and gets back."""

    grad_norms: list[float]  # ‖∂L/∂W‖ per block, first block first
    stats: list[dict[str, float | None]]  # activation_stats per block
    samples: list[np.ndarray]  # up to 400 activation values per block, for the distribution plots
    loss: float

    @property
    def ratio(self) -> float:
        """The first block's gradient norm ÷ the last's (inf or 0 where one of them is 0)."""
        first, last = self.grad_norms[0], self.grad_norms[-1]
        return first / last if last > 0 else (math.inf if first > 0 else 1.0)

    def sentence(self) -> str:
        return gradient_sentence(self.grad_norms)


def init_table(cfg: DepthConfig, report: InitReport) -> list[dict[str, str]]:
    """One row per block: its activations' mean and spread, the share saturated or dead, and ‖∂L/∂W‖."""
    share = "dead" if cfg.activation == "relu" else "saturated"
    return [{"block": str(k), "mean": f"{s['mean']:.3g}", "std": f"{s['std']:.3g}",
             share: f"{100 * (s[share] or 0):.1f} %", "‖∂L/∂W‖": f"{g:.3g}"}
            for k, (s, g) in enumerate(zip(report.stats, report.grad_norms, strict=True), start=1)]


def gradient_sentence(norms: list[float]) -> str:
    """What the gradient profile means for learning, written from the numbers."""
    if len(norms) < 2:
        return "One block: its gradient has nowhere to vanish."
    first, last = norms[0], norms[-1]
    if not all(math.isfinite(n) for n in norms):
        return "Some gradients overflowed to infinity: exploding gradients — nothing useful can be learned from them."
    if first == 0:
        return "No gradient reaches the first block at all: it will not learn."
    ratio = first / last if last > 0 else math.inf
    if ratio < 1e-3:
        return (f"The first block's gradient is {power_of_ten(ratio)} of the last's: vanishing gradients — the early "
                "blocks will barely learn.")
    if ratio > 1e3:
        return (f"The first block's gradient is {power_of_ten(ratio)} times the last's: exploding gradients — "
                "the early blocks' steps will be far too large.")
    return (f"The first block's gradient is {ratio:.2g}× the last's: the gradient reaches every block at a "
            "similar size, so every block can learn.")


def ratio_text(v: float) -> str:
    """A gradient ratio in words a table can show: 10⁻¹⁷ when it is extreme, 3.1× when it is not."""
    return power_of_ten(v) if not 1e-2 <= v <= 1e2 else f"{v:.2g}×"


def power_of_ten(v: float) -> str:
    """10 to the nearest power, in words a slide can show: 10⁻¹⁸."""
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"10{str(round(math.log10(v))).translate(sup)}" if v > 0 and math.isfinite(v) else f"{v:g}"


@runs_networks
def at_init(cfg: DepthConfig) -> InitReport:
    """Forward and backward one batch of training digits (batch norm in training mode, as in the first step)."""
    model, gen = build(cfg)
    xtr, ytr, _, _ = digits()
    idx = torch.randperm(len(ytr), generator=gen)[:INIT_BATCH]
    outs: list[torch.Tensor] = []
    hooks = [b.act.register_forward_hook(lambda m, i, o: outs.append(o.detach())) for b in model.each_block()]
    model.train()
    loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
    loss.backward()
    for h in hooks:
        h.remove()
    pick = torch.Generator().manual_seed(cfg.seed)
    samples = [o.flatten()[torch.randperm(o.numel(), generator=pick)[:400]].numpy() for o in outs]
    return InitReport(block_grad_norms(model), [activation_stats(o, cfg.activation) for o in outs], samples,
                      float(loss.detach()))


# -- training -------------------------------------------------------------------------------------------------------

@dataclass
class DepthResult:
    """A run as it stands: per-step loss and gradient profile, held-out accuracy at each evaluation, and its end."""

    config: dict[str, Any]
    steps_per_epoch: int
    history: list[dict[str, Any]] = field(default_factory=list)  # {"step", "loss", "grad_norms"}
    evals: list[dict[str, float]] = field(default_factory=list)  # {"step", "epoch", "loss", "heldout_acc"}
    update_ratios: list[float] = field(default_factory=list)  # ‖ΔW‖/‖W‖ per block at the latest evaluation
    heldout_accuracy: float | None = None
    train_accuracy: float | None = None
    nan_at_step: int | None = None
    nan_in: str | None = None
    stopped: bool = False
    done: bool = False
    seconds: float = 0.0
    lesion: list[float | None] | None = None
    shared: bool = False  # taken from the class's shared results (someone ran these settings and seed before)
    waiting: bool = False  # waiting for a classmate's run of the same settings
    error: str | None = None

    @property
    def label(self) -> str:
        return DepthConfig.from_dict(self.config).label()

    def lesion_kept(self) -> float | None:
        """The mean held-out accuracy with one block deleted, as a share of the accuracy with every block (over the
        blocks that can be deleted)."""
        kept = [a for a in (self.lesion or []) if a is not None]
        return sum(kept) / len(kept) / self.heldout_accuracy if kept and self.heldout_accuracy else None

    def message(self) -> str | None:
        """Why the run ended early, in words (None when it did not)."""
        if self.error:
            return f"The run failed: {self.error}"
        if self.nan_at_step is not None:
            what = "loss became NaN or infinite" if self.nan_in == "loss" else "gradient overflowed"
            return (f"The {what} at step {self.nan_at_step}: exploding gradients — try clipping, a smaller "
                    "initialisation or a smaller learning rate.")
        if self.stopped:
            return f"Stopped at step {self.history[-1]['step'] if self.history else 0}."
        return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DepthResult:
        return cls(**d)


class Recorder:
    """The loop's hooks for one run: the gradient profile of every step, the update ratios and held-out accuracy at
    each evaluation, written into `result` (the caller holds `lock` while reading it)."""

    def __init__(self, model: DeepNet, result: DepthResult, lock: Any = None) -> None:
        self.model, self.result, self.lock = model, result, lock or threading.Lock()
        self._before: list[torch.Tensor] | None = None
        self._losses: list[float] = []
        n = result.steps_per_epoch
        self._eval_at = {max(1, round(n * (k + 1) / EVALS_PER_EPOCH)) for k in range(EVALS_PER_EPOCH)}

    def after_backward(self, step: loop.Step) -> None:
        norms = block_grad_norms(self.model)
        self._losses.append(step.loss)
        with self.lock:
            self.result.history.append({"step": step.index, "loss": step.loss, "grad_norms": norms})
        if step.batch in self._eval_at:
            self._before = [b.conv.weight.detach().clone() for b in self.model.each_block()]

    def after_step(self, step: loop.Step) -> None:
        if self._before is None:
            return
        ratios = [float((b.conv.weight.detach() - w).norm() / w.norm().clamp_min(1e-30))
                  for b, w in zip(self.model.each_block(), self._before, strict=True)]
        self._before = None
        _, _, xte, yte = digits()
        acc = lenet.accuracy(self.model, xte, yte)  # eval mode: batch norm uses its running statistics
        window, self._losses = self._losses, []
        with self.lock:
            self.result.update_ratios = ratios
            self.result.evals.append({"step": step.index, "epoch": step.epochs_done,
                                      "loss": float(np.mean(window)), "heldout_acc": acc})


def train_run(cfg: DepthConfig, stopping=lambda: False, lock: Any = None, result: DepthResult | None = None,
              lesion: bool = False) -> tuple[DepthResult, DeepNet]:
    """Train `cfg` from its seed to the end (or the stop flag, or a NaN), recording into `result` as it goes."""
    t0 = time.perf_counter()
    model, gen = build(cfg)
    xtr, ytr, xte, yte = digits()
    result = result or DepthResult(asdict(cfg), math.ceil(len(ytr) / cfg.batch_size))
    rec = Recorder(model, result, lock)
    opt = loop.make_optimizer(cfg.optimizer, model.parameters(), cfg.lr)
    end = loop.train(model, xtr, ytr, opt, epochs=cfg.epochs, batch_size=cfg.batch_size, gen=gen,
                     schedule=loop.Schedule(cfg.schedule), clip=cfg.clip, stopping=stopping,
                     after_backward=rec.after_backward, after_step=rec.after_step)
    finished = end.nan_at_step is None and not end.stopped
    final = {"heldout": lenet.accuracy(model, xte, yte), "train": lenet.accuracy(model, xtr, ytr)} if finished else {}
    lesioned = lesion_accuracies(model) if finished and lesion else None
    with rec.lock:
        result.nan_at_step, result.nan_in, result.stopped = end.nan_at_step, end.nan_in, end.stopped
        result.heldout_accuracy, result.train_accuracy = final.get("heldout"), final.get("train")
        result.lesion = lesioned
        result.seconds = time.perf_counter() - t0
        result.done = True
    return result, model


@runs_networks
def lesion_accuracies(model: DeepNet) -> list[float | None]:
    """Held-out accuracy with each block deleted in turn (its identity path kept); None for a plain block that
    changes the map's size, which has no identity to keep."""
    _, _, xte, yte = digits()
    out: list[float | None] = []
    for block in model.each_block():
        if not block.residual and block.stride > 1:
            out.append(None)
            continue
        block.deleted = True
        try:
            out.append(lenet.accuracy(model, xte, yte))
        finally:
            block.deleted = False
    return out


# -- presets: the lecture notes' claims, one click each ---------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    claim: str  # the notes' words it tests
    look_for: str  # one sentence: what to look at
    runs: tuple[DepthConfig, ...]
    lesion: bool = False


_D = DepthConfig()  # residual + batch norm, He, ReLU, one-cycle: the network that trains
_SIGMOID = replace(_D, activation="sigmoid", init="default", norm="none", skip="none", lr=1e-3, schedule="constant")
_RELU_PLAIN = replace(_D, init="default", norm="none", skip="none", lr=1e-3, schedule="constant")
_TOO_LARGE = replace(_D, depth=10, init="he-large", norm="none", skip="none", optimizer="sgd", lr=0.05,
                     schedule="constant")
PRESETS: dict[str, Preset] = {p.key: p for p in (
    Preset("vanishing", "Deep sigmoid network: vanishing gradients",
           "deep networks suffer from vanishing/exploding gradients",
           "The gradient profile falls by a factor at every block: the first block gets 10⁻¹⁷ of the last's, and the "
           "held-out accuracy stays near chance (10 %); the residual + batch-norm network beside it learns.",
           (_SIGMOID, _D)),
    Preset("init", "Initialisation: default vs He",
           "proper initialization helps avoid vanishing or exploding gradients",
           "With PyTorch's default the 20 ReLU blocks shrink the signal at every block and the first block's gradient "
           "is about 10⁻⁷ of the last's; He's initialisation keeps it the same size throughout.",
           (_RELU_PLAIN, replace(_RELU_PLAIN, init="he"))),
    Preset("batchnorm", "Batch normalisation",
           "batch normalization helps in accelerating convergence … but does not fully solve convergence issues",
           "The same default-initialised ReLU network with batch norm: the gradient reaches the first block and the "
           "network learns — but compare its curve with the residual network's: it converges more slowly.",
           (_RELU_PLAIN, replace(_RELU_PLAIN, norm="batch"), _D)),
    Preset("skip", "Skip connections",
           "skip connections … help in efficient gradient flow",
           "The default-initialised ReLU network that could not learn, with one change — identity skips: the "
           "gradient reaches the first block through the identity paths (about as large as the last's instead of "
           "10⁻⁷ of it), and the network learns.",
           (_RELU_PLAIN, replace(_RELU_PLAIN, skip="identity"))),
    Preset("clipping", "Clipping rescues a too-large initialisation",
           "gradient clipping is used to stabilise training",
           "He ×2 with SGD: the first steps' gradients are enormous and the loss overflows; clipping the gradient's "
           "norm to 1 keeps every step small enough to learn.",
           (_TOO_LARGE, replace(_TOO_LARGE, clip=1.0))),
    Preset("degradation", "The degradation problem",
           "even the 34-layer model outperformed … (He et al. 2016, Fig. 1)",
           "Read the training loss, not only the held-out accuracy: the plain 32-block network ends higher than the "
           "plain 8-block one — deeper is worse even on the training digits — while the residual 32-block one does "
           "not degrade.",
           (replace(_D, depth=8, skip="none"), replace(_D, depth=32, skip="none"), replace(_D, depth=32))),
    Preset("ensemble", "Residual networks as ensembles",
           "skip connections provide multiple learning paths, acting like an ensemble of shallow networks "
           "(Veit et al. 2016)",
           "After training, each block is deleted in turn (its identity path kept): the residual network barely "
           "notices most deletions, the plain one collapses to near chance after almost any.",
           (_D, replace(_D, skip="none")), lesion=True),
)}


# -- runs beside the page, shared by a class ------------------------------------------------------------------------

def share_key(cfg: DepthConfig, lesion: bool) -> str:
    from cnnviz.classroom.results import key_of

    return key_of("depth-lab", 1, asdict(cfg), lesion)


def train_shared(cfg: DepthConfig, stopping=lambda: False, lock: Any = None, result: DepthResult | None = None,
                 lesion: bool = False) -> DepthResult:
    """`train_run`, once per class or hall (cnnviz.learn.runs): a run with the same settings and seed finished by
    anyone is taken from the shared results; one under way elsewhere is waited for."""
    result = result or DepthResult(asdict(cfg), 0)
    return runs.shared_run(share_key(cfg, lesion), result, lambda: train_run(cfg, stopping, lock, result, lesion)[0],
                           DepthResult.from_dict, stopping, lock)


class DepthRuns(runs.SerialRuns[DepthResult]):
    """Runs of several settings one after another in a background thread (a preset compares up to four), each
    reported as it trains."""

    thread_name = "depth-lab"

    def __init__(self, configs: Sequence[DepthConfig], lesion: bool = False) -> None:
        configs = tuple(c.check() for c in configs)
        self.lesion = lesion
        super().__init__(configs, [DepthResult(asdict(c), math.ceil(len(digits()[1]) / c.batch_size)) for c in configs],
                         lambda cfg, stopping, lock, result: train_shared(cfg, stopping, lock, result, lesion),
                         DepthResult.from_dict)


# -- what the page asks before it shows -----------------------------------------------------------------------------

LEARNED = 0.5  # a run "learned" when at least half of the held-out digits are right (chance is about 10 %)
_INIT_REPORTS = KeyedCache(64)


def at_init_shared(cfg: DepthConfig) -> InitReport:
    """`at_init`, built once per settings for every session (a class opening the same preset measures it once)."""
    return _INIT_REPORTS.get(cfg, lambda: at_init(cfg))


def largest_gradient_question(cfg: DepthConfig, report: InitReport) -> Question:
    """"Which block has the largest gradient?" — asked before the profile is shown."""
    norms = report.grad_norms
    k = int(np.argmax(norms)) + 1
    return Question(f"Which block of this {cfg.depth}-block network gets the largest gradient ‖∂L/∂W‖ at "
                    f"initialisation? (1 is next to the input, {cfg.depth} next to the output)", float(k),
                    f"block {k}'s is {norms[k - 1]:.3g}, the first block's {norms[0]:.3g} and the last's "
                    f"{norms[-1]:.3g}.")


def learn_verdict(guess: str, result: DepthResult) -> tuple[bool, str]:
    """(right?, words) for "Will this network learn?" once its run has ended."""
    acc = result.heldout_accuracy
    learned = acc is not None and acc >= LEARNED
    how = (f"{100 * acc:.1f} % of the held-out digits right" if acc is not None else
           result.message() or "it did not finish")
    said = "It learned" if learned else "It did not learn"
    right = (guess == "yes") == learned
    return right, f"{'Right' if right else 'Not quite'}: {said} — {how} (chance is about 10 %; we call ≥ 50 % learning)."


def finished_run(cfg: DepthConfig) -> DepthResult | None:
    """A run of exactly these settings and seed that someone finished and shared (a teacher who prepared the lesson,
    a classmate), or None: what lets "Will this network learn?" be put to a class with its answer known."""
    for lesion in (False, True):
        found = runs.finished(share_key(cfg, lesion), DepthResult.from_dict)
        if found is not None:
            return found
    return None


def learn_question(cfg: DepthConfig, result: DepthResult) -> Question:
    """"Will this network learn?" with the answer a finished run of the same settings gave."""
    acc = result.heldout_accuracy
    learned = acc is not None and acc >= LEARNED
    how = f"its run ends with {100 * acc:.1f} % of the held-out digits right" if acc is not None else \
        (result.message() or "its run did not finish")
    return Question(f"Will this network ({cfg.label()}) learn — at least half of the held-out digits right after "
                    f"{cfg.epochs} epochs?", "yes" if learned else "no",
                    f"{how} (chance is about 10 %).", choices=("yes", "no"))
