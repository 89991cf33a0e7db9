"""What an attribution method is: the record every page, the CLI, the sanity check and the tests read, the
target it explains and the request it answers.

A method is one file in `cnnviz/explain/methods/` holding one `METHOD = Method(...)`; nothing else names it.
Its `compute(request)` returns the map at the input's resolution (H×W, colour channels summed); the request
binds the network, the input, the target and the settings once, so a method never resolves anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.errors import CnnvizError
from cnnviz.networks.network import Network


@dataclass(frozen=True)
class Setting:
    """One setting of a method, with its range. `of_input`: the upper end is the input's side (at most `high`)
    and the default that side divided by `default` (an occlusion window of a seventh of the picture)."""

    name: str  # the keyword of `attribute()` and the field of Options
    label: str
    low: float = 0
    high: float = 0
    default: float | str = 0
    step: float | None = None
    choices: tuple[str, ...] = ()
    of_input: bool = False
    help: str = ""

    def bounds(self, side: int) -> tuple[float, float, float | str]:
        """(low, high, default) for an input `side` pixels wide."""
        if not self.of_input:
            return self.low, self.high, self.default
        high = min(self.high, side)
        return self.low, high, min(high, max(self.low, side // float(self.default)))


@dataclass(frozen=True)
class Options:
    """Every method's settings in one value (each method reads its own)."""

    baseline: str = "black"
    steps: int = 32
    window: int = 32
    stride: int = 16
    samples: int = 12
    noise: float = 0.15
    seed: int = 0


@dataclass(frozen=True)
class ClassTarget:
    """Explain the score (logit) of one class."""

    index: int


@dataclass(frozen=True)
class UnitTarget:
    """Explain a channel of a layer (its mean) or one unit of it instead of a class score."""

    layer: str
    channel: int
    unit: tuple[int, int] | None = None

    def reduce(self, acts: torch.Tensor) -> torch.Tensor:
        a = acts[:, self.channel]
        if self.unit is None:
            return a.mean(dim=(1, 2))
        return a[:, min(self.unit[0], a.shape[1] - 1), min(self.unit[1], a.shape[2] - 1)]


Target = ClassTarget | UnitTarget


@dataclass
class Request:
    """One map to make: the network and input, what to explain, where (the CAM layer) and with which settings."""

    net: Network
    x: torch.Tensor  # [1, C, H, W] on `device`
    target: Target
    layer: str
    device: str
    options: Options = field(default_factory=Options)
    progress: Callable[[int, int], None] | None = None
    should_stop: Callable[[], bool] | None = None

    @classmethod
    def for_class(cls, net: Network, x: torch.Tensor, index: int, layer: str | None = None, device: str = "cpu",
                  **kw) -> Request:
        """A request for class `index` at `layer` (default: the network's last spatial layer)."""
        return cls(net, x.detach().to(device), ClassTarget(int(index)), layer or net.default_cam_layer, str(device),
                   **kw)

    @property
    def size(self) -> tuple[int, int]:
        return int(self.x.shape[-2]), int(self.x.shape[-1])

    def leaf(self) -> torch.Tensor:
        """The input as a fresh leaf that records gradients (the network's parameters are frozen)."""
        return self.x.detach().clone().requires_grad_(True)

    def class_index(self, title: str) -> int:
        """The explained class; a method that explains only class scores refuses a unit in words."""
        if isinstance(self.target, UnitTarget):
            raise CnnvizError(f"{title} explains a class score: choose a class target for it")
        return self.target.index

    def forward(self, rule: str | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
        """x ↦ the explained quantity per image (the class's logit, or the unit), through the network with `rule`
        ("guided" | "deconvnet") at every rectifier if given."""
        from cnnviz.explain.rules import rule_model, unit_model

        t = self.target
        if isinstance(t, ClassTarget):
            model = rule_model(self.net, rule, self.device) if rule else self.net.module(self.device)
            return lambda inp: model(inp)[:, t.index]
        cut = unit_model(self.net, t.layer, rule, self.device)
        return lambda inp: t.reduce(cut(inp)[t.layer])

    def baseline(self) -> torch.Tensor:
        """'black' (a black image, preprocessed), 'blur' (a heavily blurred copy) or 'zero' (zeros after
        preprocessing)."""
        x, kind = self.x.detach(), self.options.baseline
        if kind == "blur":
            return blurred(x)
        if kind == "zero":
            return torch.zeros_like(x)
        black = np.zeros((x.shape[-2], x.shape[-1], 3), dtype=np.uint8)
        return self.net.preprocess(black).to(x.device)


def blurred(x: torch.Tensor, k: int = 31) -> torch.Tensor:
    """A heavily blurred copy ([N, C, H, W]; a k×k box, edges replicated): 'no information' that keeps the colours
    (integrated gradients' blur baseline, faithfulness's canvas)."""
    return F.avg_pool2d(F.pad(x, (k // 2,) * 4, mode="replicate"), k, stride=1)


@dataclass(frozen=True)
class Method:
    """An attribution method's facts and its one function."""

    name: str  # as the CLI, links and the registry spell it
    title: str
    note: str  # what it shows, and its caveats, in two sentences a learner reads under the map
    order: int  # where it stands in lists
    compute: Callable[[Request], torch.Tensor]
    class_only: bool = False  # explains a class score, never a channel or unit
    cam_like: bool = False  # a non-negative map in [0, 1] at one layer (shown as is, never signed)
    uses_layer: bool = False  # reads Request.layer (the CAM layer)
    settings: tuple[Setting, ...] = ()
    slow: bool = False  # minutes on a CPU: left out of "every method", asked for by hand
    in_sanity: bool = True  # quick enough to recompute at every step of the sanity check
