"""Sanity checks for saliency maps (Adebayo et al. 2018): cascading randomisation of a network's layers.

From the top (the classifier) down, one group of layers after another gets random weights, on a
private copy of the network; each method's map of the same photo and class is recomputed and
compared with the original by the Spearman rank correlation of the absolute maps. A method that
explains the model should change as its layers are destroyed; one whose map barely changes shows
image structure, not what the network learnt.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnviz.errors import CnnvizError
from cnnviz.explain import methods as registry
from cnnviz.explain.attribution import attribute
from cnnviz.networks.network import Network

DEFAULT_METHODS = ("saliency", "guided-backprop", "gradcam")


def ranks(a: np.ndarray) -> np.ndarray:
    """Ranks from 0, ties sharing their average rank (as scipy.stats.rankdata, minus one)."""
    a = np.asarray(a, dtype=float).ravel()
    order = np.argsort(a, kind="mergesort")
    r = np.empty(a.size)
    r[order] = np.arange(a.size)
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    return (np.bincount(inverse, weights=r) / counts)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of |a| and |b|; 0 when either map is constant (no ranking to compare)."""
    ra, rb = ranks(np.abs(a)), ranks(np.abs(b))
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def layer_groups(model: nn.Module) -> list[str]:
    """The network's parameterised parts in forward order, at the grain of its blocks (e.g. 'blocks.3', 'fc')."""
    groups: list[str] = []
    for name, m in model.named_modules():
        if not name or not any(True for _ in m.parameters(recurse=False)):
            continue
        parts = name.split(".")
        top = model.get_submodule(parts[0])
        deep = isinstance(top, nn.Sequential | nn.ModuleList) and len(list(top.children())) >= 3 and len(parts) > 1
        group = ".".join(parts[:2]) if deep else parts[0]
        if group not in groups:
            groups.append(group)
    return groups


def randomise(model: nn.Module, group: str, seed: int) -> None:
    """Re-initialise every layer of `group` in place (their own reset_parameters, under a fixed seed)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in model.get_submodule(group).modules():
            reset = getattr(m, "reset_parameters", None)
            if callable(reset):
                reset()


@dataclass(frozen=True)
class SanityStep:
    randomised: str  # "none", or the group randomised at this step (all above it are random too)
    similarity: dict[str, float]
    maps: dict[str, np.ndarray]


def cascading(net: Network, x: torch.Tensor, methods: tuple[str, ...] = DEFAULT_METHODS, target: int | None = None,
              steps: int | None = None, seed: int = 0,
              on_step: Callable[[SanityStep, int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> list[SanityStep]:
    """The original maps, then the maps after randomising each group from the top; `steps` limits how deep.

    Works on a private deep copy (the shared model is never touched); stops between steps when asked,
    returning the steps done.
    """
    if not methods:
        raise CnnvizError("choose at least one method")
    for m in methods:
        registry.method(m)  # an unknown name refused in words before any work
    if target is None:
        with torch.no_grad():
            target = int(net.module("cpu")(x).argmax(1))
    original = {m: attribute(net, x, m, target=target).values for m in methods}
    out = [SanityStep("none", {m: 1.0 for m in methods}, original)]
    groups = layer_groups(net.module("cpu"))[::-1]
    groups = groups[:steps] if steps else groups
    total = len(groups) + 1
    if on_step:
        on_step(out[0], 1, total)
    private = copy.deepcopy(net.module("cpu"))
    for k, group in enumerate(groups, start=1):
        if should_stop is not None and should_stop():
            break
        randomise(private, group, seed + k)
        copy_net = Network(net.spec, key=f"{net.key}~sanity~{group}", module=copy.deepcopy(private),
                           labels=net.labels)
        maps = {m: attribute(copy_net, x, m, target=target).values for m in methods}
        step = SanityStep(group, {m: spearman(original[m], maps[m]) for m in methods}, maps)
        out.append(step)
        if on_step:
            on_step(step, k + 1, total)
    return out


def steps_to_blob(steps: list[SanityStep]) -> bytes:
    """Finished steps as bytes a class or hall shares (no pickle): the check is seeded, so it is the same for all."""
    from cnnviz.classroom.results import pack

    arrays = {f"map_{i}_{m}": v for i, s in enumerate(steps) for m, v in s.maps.items()}
    return pack({"steps": [{"randomised": s.randomised, "similarity": s.similarity, "methods": list(s.maps)}
                           for s in steps]}, arrays)


def steps_from_blob(blob: bytes) -> list[SanityStep]:
    from cnnviz.classroom.results import unpack

    meta, arrays = unpack(blob)
    return [SanityStep(s["randomised"], {m: float(v) for m, v in s["similarity"].items()},
                       {m: arrays[f"map_{i}_{m}"] for m in s["methods"]}) for i, s in enumerate(meta["steps"])]
