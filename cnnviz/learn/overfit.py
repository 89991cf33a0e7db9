"""Overfitting and its cures: LeNet-5 trained on a few of the training digits until it memorises them, and the cures
the notes name — dropout, L2 weight decay, augmentation, early stopping, a smaller network, more data — each measured
on the same digits, the same seed and the same 1,000 held-out digits.

Every epoch the whole training subset and the held-out digits are evaluated (eval mode: no dropout, no
augmentation), so the two loss curves compare like with like and their gap is the overfitting. Early stopping keeps
the weights of the epoch with the lowest held-out loss and, once `patience` epochs pass without a better one, stops
and restores them. Runs go through the one training loop (cnnviz.learn.loop) and the labs' shared runs
(cnnviz.learn.runs), like Going deep's.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.caching import KeyedCache
from cnnviz.errors import CnnvizError
from cnnviz.grids.questions import Question
from cnnviz.learn import loop, runs
from cnnviz.learn.seeding import GeneratorDropout, init_parameters
from cnnviz.networks import lenet
from cnnviz.networks.tracing import runs_networks

DIGIT_AUGMENTS = ("shift", "rotate")  # no flips: a mirrored 2, 3, 4, 5, 7 or 9 is no longer that digit
MAX_SHIFT_PX, MAX_ROTATE_DEG = 2, 15
LIMITS: dict[str, tuple[float, float]] = {"train_size": (50, 4000), "epochs": (1, 200), "dropout": (0.0, 0.9),
                                           "weight_decay": (0.0, 0.1), "patience": (0, 50), "seed": (0, 10_000)}
SIZES = {"full": (6, 16, 120, 84), "small": (3, 6, 40, 32)}  # LeNet-5's channels and units; "small": ~1/6 the weights
WEIGHT_BINS = np.linspace(-0.6, 0.6, 49)  # one set of bins, so runs' histograms compare
LR, BATCH = 1e-3, 32


@dataclass(frozen=True)
class OverfitConfig:
    """One run; the defaults are the "Small data overfits" preset."""

    train_size: int = 200
    epochs: int = 60
    dropout: float = 0.0
    weight_decay: float = 0.0
    augment: tuple[str, ...] = ()
    patience: int = 0  # early stopping: epochs without a lower held-out loss before stopping; 0: off
    size: str = "full"
    seed: int = 0

    def check(self) -> OverfitConfig:
        """One clear message for a setting out of range (the page, the link and the CLI share it)."""
        runs.check_limits(self, LIMITS)
        bad = [a for a in self.augment if a not in DIGIT_AUGMENTS]
        if bad:
            raise CnnvizError(f"augment the digits with {' and/or '.join(DIGIT_AUGMENTS)} (got {', '.join(bad)}); "
                              "no flips: a mirrored digit is often another digit or none")
        if self.size not in SIZES:
            raise CnnvizError(f"size must be one of {', '.join(SIZES)}")
        return self

    def label(self) -> str:
        """The settings in a few words, to tell runs apart on one chart."""
        cures = [f"dropout {self.dropout:g}" if self.dropout else "", f"λ {self.weight_decay:g}" if self.weight_decay
                 else "", "+".join(self.augment), f"early stop {self.patience}" if self.patience else "",
                 "small net" if self.size == "small" else ""]
        said = ", ".join(c for c in cures if c)
        return f"{self.train_size} digits, {self.epochs} ep" + (f": {said}" if said else ": no cure")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OverfitConfig:
        names = {f.name for f in fields(cls)}
        kept = {k: v for k, v in d.items() if k in names}
        if "augment" in kept:
            kept["augment"] = tuple(kept["augment"])
        return cls(**kept)


def parse_augment(text: str) -> tuple[str, ...]:
    """"none", "shift", "rotate" or "shift,rotate" (the CLI's and the link's form)."""
    parts = tuple(p.strip() for p in str(text).split(",") if p.strip() and p.strip() != "none")
    OverfitConfig(augment=parts).check()
    return tuple(a for a in DIGIT_AUGMENTS if a in parts)


_DIGITS = KeyedCache(1)


# -- data -----------------------------------------------------------------------------------------------------------

def subset(n: int, seed: int) -> np.ndarray:
    """Indices of `n` of the 4,000 training digits, class-balanced (each digit ⌊n/10⌋ or one more, the extra going to
    the lowest digits; a digit with too few examples gives all it has and the others share the rest), always the same
    for the same n and seed; a larger n contains a smaller one's digits."""
    _, ytr, _, _ = lenet.mnist_split()
    if not 1 <= n <= len(ytr):
        raise CnnvizError(f"choose 1–{len(ytr)} training digits (got {n})")
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(ytr == c)) for c in range(10)]
    return np.sort(np.concatenate([ix[:k] for k, ix in zip(_quotas(n, [len(ix) for ix in per_class]), per_class,
                                                            strict=True)]))


def _quotas(n: int, available: list[int]) -> list[int]:
    """Water-filling: the scarcest digits first, each an equal share of what is left (at most what it has), then one
    more to the lowest digits with room until n are taken."""
    counts, left = [0] * len(available), n
    for k, c in enumerate(sorted(range(len(available)), key=lambda c: (available[c], c))):
        counts[c] = min(available[c], left // (len(available) - k))
        left -= counts[c]
    for c in range(len(available)):
        if left and counts[c] < available[c]:
            counts[c] += 1
            left -= 1
    return counts


def digit_augment(x: torch.Tensor, kinds: tuple[str, ...], gen: torch.Generator) -> torch.Tensor:
    """Each digit of the batch shifted by up to ±2 px and/or rotated by up to ±15° (bilinear, background filled),
    drawn from `gen`; labels are unchanged."""
    if "rotate" in kinds:
        angles = (torch.rand(len(x), generator=gen) * 2 - 1) * math.radians(MAX_ROTATE_DEG)
        cos, sin = torch.cos(angles), torch.sin(angles)
        theta = torch.stack([torch.stack([cos, -sin, torch.zeros_like(cos)], 1),
                             torch.stack([sin, cos, torch.zeros_like(cos)], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        bg = float(x[0, 0, 0, 0])
        x = F.grid_sample(x - bg, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + bg
    if "shift" in kinds:
        x = lenet.shift(x, gen, MAX_SHIFT_PX)
    return x


# -- the network and one run ----------------------------------------------------------------------------------------

class SizedLeNet(lenet.LeNet5):
    """LeNet-5 (ReLU, max pooling) with the channel and unit counts of `size`."""

    def __init__(self, size: str, dropout: float, gen: torch.Generator) -> None:
        super().__init__("relu", "max", dropout)
        c1, c3, c5, f6 = SIZES[size]
        self.c1, self.c3, self.c5 = nn.Conv2d(1, c1, 5), nn.Conv2d(c1, c3, 5), nn.Conv2d(c3, c5, 5)
        self.f6, self.out = nn.Linear(c5, f6), nn.Linear(f6, 10)
        self.drop = GeneratorDropout(dropout, gen)  # inverted dropout, its masks from the run's own generator


def build(cfg: OverfitConfig) -> tuple[SizedLeNet, torch.Generator]:
    gen = torch.Generator().manual_seed(cfg.seed)
    return init_parameters(SizedLeNet(cfg.size, cfg.dropout, gen), gen), gen


def weights_of(model: nn.Module) -> np.ndarray:
    """Every weight of the convolutions and linear layers (biases left out: weight decay's target)."""
    return torch.cat([m.weight.detach().flatten() for m in model.modules()
                      if isinstance(m, (nn.Conv2d, nn.Linear))]).numpy()


@runs_networks
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) in eval mode."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
        return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


@dataclass
class OverfitResult:
    """A run as it stands: the per-epoch figures, the best epoch, and the returned network's figures at the end."""

    config: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)  # epoch, train_loss/accuracy, heldout_loss/accuracy
    best_epoch: int | None = None  # 1-based: the epoch of the lowest held-out loss so far
    stopped_at: int | None = None  # early stopping ended the run after this epoch
    train_accuracy: float | None = None
    heldout_accuracy: float | None = None
    weight_counts: list[int] = field(default_factory=list)  # histogram over WEIGHT_BINS of the final weights
    weight_norm: float | None = None
    seconds: float = 0.0
    stopped: bool = False  # the learner's Stop
    done: bool = False
    error: str | None = None
    shared: bool = False
    waiting: bool = False

    @property
    def label(self) -> str:
        return OverfitConfig.from_dict(self.config).label()

    @property
    def gap(self) -> float | None:
        if self.train_accuracy is None or self.heldout_accuracy is None:
            return None
        return self.train_accuracy - self.heldout_accuracy

    def best(self) -> dict[str, float] | None:
        return self.history[self.best_epoch - 1] if self.best_epoch else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OverfitResult:
        return cls(**d)

    def summary(self) -> dict[str, Any]:
        """The CLI's answer."""
        return {"history": self.history, "best_epoch": self.best_epoch, "stopped_at": self.stopped_at,
                "train_accuracy": self.train_accuracy, "heldout_accuracy": self.heldout_accuracy, "gap": self.gap,
                "seconds": self.seconds}


class _Epochs:
    """The loop's after-step hook: at each epoch's last batch, evaluate both sets, track the best held-out loss and
    its weights, and ask the loop to stop once `patience` epochs have passed without a better one."""

    def __init__(self, model: nn.Module, cfg: OverfitConfig, data: tuple[torch.Tensor, ...], result: OverfitResult,
                 lock: Any) -> None:
        self.model, self.cfg, self.data, self.result, self.lock = model, cfg, data, result, lock
        self.best_loss, self.best_state = math.inf, copy.deepcopy(model.state_dict())
        self.early = False

    def __call__(self, step: loop.Step) -> None:
        if step.batch != step.batches:
            return
        xtr, ytr, xte, yte = self.data
        tr_loss, tr_acc = evaluate(self.model, xtr, ytr)
        te_loss, te_acc = evaluate(self.model, xte, yte)
        epoch = step.epoch + 1
        if te_loss < self.best_loss:
            self.best_loss, self.best_state = te_loss, copy.deepcopy(self.model.state_dict())
            best = epoch
        else:
            best = self.result.best_epoch or 1
        self.early = self.cfg.patience > 0 and epoch - best >= self.cfg.patience
        with self.lock:
            self.result.history.append({"epoch": epoch, "train_loss": tr_loss, "train_accuracy": tr_acc,
                                        "heldout_loss": te_loss, "heldout_accuracy": te_acc})
            self.result.best_epoch = best


def train_run(cfg: OverfitConfig, stopping=lambda: False, lock: Any = None,
              result: OverfitResult | None = None) -> tuple[OverfitResult, nn.Module]:
    """Train `cfg` from its seed; the network returned is the last epoch's, or the best epoch's when early stopping
    ended the run (its weights restored)."""
    t0 = time.perf_counter()
    cfg = cfg.check()
    lock = lock or contextlib.nullcontext()
    model, gen = build(cfg)
    xall, yall, xte, yte = _digits()
    idx = torch.from_numpy(subset(cfg.train_size, cfg.seed))
    xtr, ytr = xall[idx], yall[idx]
    result = result or OverfitResult(asdict(cfg))
    hook = _Epochs(model, cfg, (xtr, ytr, xte, yte), result, lock)
    opt = loop.make_optimizer("adam", model.parameters(), LR, cfg.weight_decay)
    end = loop.train(model, xtr, ytr, opt, epochs=cfg.epochs, batch_size=BATCH, gen=gen,
                     stopping=lambda: stopping() or hook.early, after_step=hook,
                     augment=(lambda xb: digit_augment(xb, cfg.augment, gen)) if cfg.augment else None)
    user_stop = end.stopped and not hook.early
    if hook.early:
        model.load_state_dict(hook.best_state)
    final = {} if user_stop else {"train": evaluate(model, xtr, ytr)[1], "heldout": evaluate(model, xte, yte)[1]}
    w = weights_of(model)
    with lock:
        result.stopped_at = len(result.history) if hook.early else None
        result.stopped = user_stop
        result.train_accuracy, result.heldout_accuracy = final.get("train"), final.get("heldout")
        result.weight_counts = np.histogram(np.clip(w, WEIGHT_BINS[0], WEIGHT_BINS[-1]), WEIGHT_BINS)[0].tolist()
        result.weight_norm = float(np.linalg.norm(w))
        result.seconds = time.perf_counter() - t0
        result.done = True
    return result, model


def _digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 4,000 training and 1,000 held-out digits as LeNet-5's 32-px tensors (built once, shared, only read)."""
    return _DIGITS.get("lenet", _make_digits)


def _make_digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    xtr, ytr, xte, yte = lenet.mnist_split()
    return lenet.to_tensor(xtr), torch.tensor(ytr), lenet.to_tensor(xte), torch.tensor(yte)


# -- shared by a class; several runs compared -----------------------------------------------------------------------

def share_key(cfg: OverfitConfig) -> str:
    from cnnviz.classroom.results import key_of

    return key_of("overfit-lab", 1, asdict(cfg))


def train_shared(cfg: OverfitConfig, stopping=lambda: False, lock: Any = None,
                 result: OverfitResult | None = None) -> OverfitResult:
    """`train_run`, once per class or hall (the same settings and seed give the same numbers)."""
    result = result or OverfitResult(asdict(cfg))
    return runs.shared_run(share_key(cfg), result, lambda: train_run(cfg, stopping, lock, result)[0],
                           OverfitResult.from_dict, stopping, lock)


class OverfitRuns(runs.SerialRuns[OverfitResult]):
    thread_name = "overfit-lab"

    def __init__(self, configs: list[OverfitConfig]) -> None:
        configs = [c.check() for c in configs]
        super().__init__(configs, [OverfitResult(asdict(c)) for c in configs], train_shared, OverfitResult.from_dict)


# -- presets: the notes' claims, one click each ---------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    claim: str
    look_for: str
    runs: tuple[OverfitConfig, ...]


_SMALL = OverfitConfig()
PRESETS: dict[str, Preset] = {p.key: p for p in (
    Preset("small-data", "Small data overfits", "your dataset is too small (risk of overfitting)",
           "Training accuracy climbs to 100 % while the held-out accuracy stalls in the 80s; the held-out loss "
           "bottoms out within the first 20 epochs and then rises: the network is memorising the 200 digits.",
           (_SMALL,)),
    Preset("early-stopping", "Early stopping", "avoid overfitting by using … early stopping",
           "The run with patience 10 stops ten epochs after its lowest held-out loss and returns that epoch's weights. "
           "Compare the accuracy it returns with the full run's: on these digits the held-out loss turns upward "
           "(over-confident mistakes) long before the accuracy stops creeping up — early stopping by the loss saves "
           "most of the epochs, not accuracy.",
           (_SMALL, replace(_SMALL, patience=10))),
    Preset("augmentation", "Augmentation closes the gap", "apply data augmentation (to improve generalization)",
           "Shifts make every epoch's digits new: the held-out accuracy ends several points higher and the gap "
           "shrinks by a third or more; rotations of up to 15° alone help far less on these digits.",
           (_SMALL, replace(_SMALL, augment=("shift",)), replace(_SMALL, augment=("rotate",)),
            replace(_SMALL, augment=("shift", "rotate")))),
    Preset("dropout", "Dropout", "dropout … prevents overfitting",
           "Read the numbers, not the slogan: on 200 digits dropout 0.5 moves the held-out accuracy by a few points "
           "at most, and not necessarily up — the network still memorises.",
           (_SMALL, replace(_SMALL, dropout=0.5))),
    Preset("weight-decay", "Weight decay", "L2 weight decay (λ = 5 × 10⁻⁴)",
           "AlexNet's λ = 5 × 10⁻⁴ barely changes anything here; a far larger λ = 0.01 shrinks the weights (see the "
           "histogram) yet closes little of the gap.",
           (_SMALL, replace(_SMALL, weight_decay=5e-4), replace(_SMALL, weight_decay=0.01))),
    Preset("more-data", "More data", "more data is the best regulariser",
           "200, 1,000 and 4,000 digits for the same number of steps' worth of epochs: the gap shrinks with every "
           "step up in data.",
           (_SMALL, replace(_SMALL, train_size=1000, epochs=12), replace(_SMALL, train_size=4000, epochs=3))),
)}


# -- what the page says about the numbers ---------------------------------------------------------------------------

WEIGHT_DECAY_SENTENCE = ("Weight decay adds λ·w to each weight's gradient (the gradient of (λ/2)·‖w‖²), so every "
                         "step also shrinks each weight by a fraction: the histogram narrows and ‖w‖ falls as λ grows. "
                         "Smaller weights make a smoother function of the input — which helps only as far as the "
                         "numbers above say.")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def end_table(results: list[OverfitResult]) -> list[dict[str, str]]:
    """The end-of-run table: training and held-out accuracy, the gap, the best epoch and what it held out."""
    rows = []
    for r in results:
        best = r.best()
        rows.append({"run": r.label, "training accuracy": _pct(r.train_accuracy),
                     "held-out accuracy": _pct(r.heldout_accuracy),
                     "gap": "—" if r.gap is None else f"{100 * r.gap:.1f} points",
                     "lowest held-out loss at epoch": "—" if best is None else
                     f"{int(best['epoch'])} ({_pct(best['heldout_accuracy'])} held out)",
                     "early stopping": f"after epoch {r.stopped_at}" if r.stopped_at else "—",
                     "seconds": f"{r.seconds:.1f}" + (" (shared)" if r.shared else "")})
    return rows


def best_epoch_sentence(r: OverfitResult) -> str:
    """What stopping at the best epoch would have kept, from the run's own numbers."""
    best, last = r.best(), (r.history[-1] if r.history else None)
    if best is None or last is None:
        return "no epoch measured yet."
    if r.stopped_at:
        return (f"early stopping ran {r.stopped_at} epochs and returned epoch {int(best['epoch'])}'s weights: "
                f"{_pct(r.heldout_accuracy)} held out.")
    if best["epoch"] == last["epoch"]:
        return (f"the held-out loss was still falling at the last epoch ({int(last['epoch'])}): no sign of "
                "overfitting yet by the loss.")
    rise = last["heldout_loss"] - best["heldout_loss"]
    gain = best["heldout_accuracy"] - last["heldout_accuracy"]
    keep = ("keeps" if gain > 0 else "would give") + f" {_pct(best['heldout_accuracy'])} instead of " \
        f"{_pct(last['heldout_accuracy'])}"
    return (f"the held-out loss was lowest at epoch {int(best['epoch'])} ({best['heldout_loss']:.3f}) and then rose "
            f"by {rise:.3f} while the training loss kept falling to {last['train_loss']:.3f}: stopping at epoch "
            f"{int(best['epoch'])} {keep}.")


def cure_name(cfg: OverfitConfig) -> str:
    """A run's cure in a few words (its label after the colon, or its data when that is the cure): what a learner
    picks when predicting."""
    name = cfg.label().split(": ", 1)[1]
    return f"{cfg.train_size} digits" if name == "no cure" else name


def cure_choices(preset: Preset) -> tuple[str, ...]:
    """What "which cure?" offers: each cure of the preset, or yes/no when it has only one."""
    names = tuple(cure_name(c) for c in preset.runs[1:])
    return names if len(names) > 1 else ("yes", "no")


def cure_prompt(preset: Preset) -> str:
    names = [cure_name(c) for c in preset.runs[1:]]
    if len(names) > 1:
        return "Which of these cures will close the gap (training − held-out accuracy) most?"
    return f"Will {names[0]} narrow the gap (training − held-out accuracy) by at least a point?"


def cure_answer(results: list[OverfitResult]) -> tuple[str, str]:
    """(the right choice, why) from the preset's finished runs; the first run is the baseline."""
    base, cures = results[0], results[1:]
    if base.gap is None or any(r.gap is None for r in cures):
        raise CnnvizError("the preset's runs did not all finish")
    gaps = ", ".join(f"{cure_name(OverfitConfig.from_dict(r.config))} {100 * (r.gap or 0):.1f}" for r in cures)
    why = f"the gap without a cure is {100 * base.gap:.1f} points; with {gaps}."
    if len(cures) == 1:
        return ("yes" if (base.gap - (cures[0].gap or 0)) >= 0.01 else "no"), why
    best = min(cures, key=lambda r: r.gap if r.gap is not None else math.inf)
    return cure_name(OverfitConfig.from_dict(best.config)), why


def cure_verdict(guess: str, results: list[OverfitResult]) -> tuple[bool, str]:
    """The learner's "which cure?" judged by the preset's runs."""
    try:
        answer, why = cure_answer(results)
    except CnnvizError:
        return False, "The runs did not all finish: no verdict."
    right = guess == answer
    return right, f"{'Right' if right else 'Not quite'}: **{answer}** — {why}"


def more_verdict(guess: str, before: float | None, after: OverfitResult) -> tuple[bool, str]:
    """"40 more epochs: up or down?" answered by the longer run (the same run, continued: same seed, same steps)."""
    if before is None or after.heldout_accuracy is None:
        return False, "The run did not finish: no verdict."
    went = "up" if after.heldout_accuracy > before else "down" if after.heldout_accuracy < before else "nowhere"
    right = guess == went
    return right, (f"{'Right' if right else 'Not quite'}: it went **{went}**, {_pct(before)} → "
                   f"{_pct(after.heldout_accuracy)}, while the training accuracy ended at "
                   f"{_pct(after.train_accuracy)}.")


def augmented_digits(kinds: tuple[str, ...], n: int, seed: int, index: int = 0) -> list[np.ndarray]:
    """Training digit `index` of the run's subset, augmented `n` times as a run with `seed` draws it (uint8 28×28,
    white on black)."""
    xall, _, _, _ = _digits()
    one = xall[int(subset(50, seed)[index])][None].repeat(n, 1, 1, 1)
    gen = torch.Generator().manual_seed(seed)
    out = digit_augment(one, kinds, gen)[:, 0, 2:30, 2:30] * lenet.STD + lenet.MEAN
    return [a for a in out.clamp(0, 255).round().to(torch.uint8).numpy()]


def photo_for_gallery(rgb: np.ndarray, side: int = 224) -> np.ndarray:
    """The photo with its short side at most `side` px (AlexNet's crop still gets its 256-px short side)."""
    from cnnviz.images import resize_max

    h, w = np.shape(rgb)[:2]
    return resize_max(rgb, round(max(h, w) * side / min(h, w))) if min(h, w) > side else np.asarray(rgb)


def finished_preset(preset: Preset) -> list[OverfitResult] | None:
    """The preset's runs if every one is in the class's shared results (a teacher who ran it before the lesson)."""
    found = [runs.finished(share_key(c), OverfitResult.from_dict) for c in preset.runs]
    return None if any(r is None for r in found) else [r for r in found if r is not None]


def cure_question(preset: Preset, results: list[OverfitResult]) -> Question:
    """"Which cure closes the gap most?" with the answer the preset's finished runs gave (for the class)."""
    answer, why = cure_answer(results)
    return Question(f"{preset.title}: {cure_prompt(preset)}", answer, why, choices=cure_choices(preset))
