"""Attributions: which input pixels matter for a class or a unit, on every network of the zoo.

`attribute` binds the network, the input, the target and the settings into one Request and hands it to the
method's own file (cnnviz/explain/methods/); this module only finds the class when none is given and says what
a map means when it is drawn over the picture. The maps of one network, photo, method and settings are made once
per process (`map_once`): every learner asking for the same map gets it from memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from cnnviz.caching import KeyedCache
from cnnviz.explain import methods
from cnnviz.explain.method import ClassTarget, Options, Request, UnitTarget
from cnnviz.networks.network import Network
from cnnviz.networks.tracing import runs_networks

MAPS_KEPT = 64
_maps = KeyedCache(MAPS_KEPT)  # (…, network, photo digest, method, target, layer, settings, device) → its map


def map_once(key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
    """The map under `key`, made by `make()` once per process and shared read-only by every session."""
    return _maps.get(key, make)


def forget_maps() -> None:
    """Drop every map made in this process (tests: as if another replica answered)."""
    _maps.clear()


@dataclass
class Attribution:
    method: str
    values: np.ndarray  # [H, W] signed (summed over colour channels) or CAM in [0, 1]
    target: int  # the class explained; -1 for a unit
    score: float  # the class's logit when it was found here, the unit's value for a unit, else NaN


@runs_networks
def attribute(net: Network, x: torch.Tensor, method: str, target: int | UnitTarget | None = None,
              layer: str | None = None, device: str = "cpu", baseline: str = "black", steps: int = 32,
              window: int = 32, stride: int = 16, samples: int = 12, noise: float = 0.15, seed: int = 0,
              progress: Callable[[int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> Attribution:
    """One attribution map for a class (default: the predicted one) or a UnitTarget, at the input's resolution."""
    m = methods.method(method)
    x = x.detach().to(device)
    options = Options(baseline, int(steps), int(window), int(stride), int(samples), float(noise), int(seed))
    score = float("nan")
    if target is None:  # one extra forward only when the class must be found
        with torch.no_grad():
            logits = net.module(device)(x)
        target = int(logits.argmax(1))
        score = float(logits[0, target])
    tgt = target if isinstance(target, UnitTarget) else ClassTarget(int(target))
    where = layer or (net.default_cam_layer if m.uses_layer else "")  # a CAM's layer; the others need none
    req = Request(net, x, tgt, where, str(device), options, progress, should_stop)
    values = m.compute(req)
    if isinstance(tgt, UnitTarget):
        with torch.no_grad():
            score = float(req.forward()(x)[0])
    return Attribution(method, values.detach().float().cpu().numpy(),
                       tgt.index if isinstance(tgt, ClassTarget) else -1, score)


def display_map(values: np.ndarray, method: str, sign: str = "absolute") -> np.ndarray:
    """A map as shown over the picture, in [0, 1]: its positive part, negative part or magnitude (a CAM is
    non-negative by construction), scaled so its 99.5th percentile is 1 (a few extreme pixels would wash out the
    rest)."""
    if methods.method(method).cam_like:
        shown = values
    else:
        shown = {"positive": np.clip(values, 0, None), "negative": np.clip(-values, 0, None),
                 "absolute": np.abs(values)}[sign]
    hi = float(np.percentile(shown, 99.5)) or float(shown.max()) or 1.0
    return np.clip(shown / hi, 0, 1)
