"""Is this map right? Deletion and insertion (Petsiuk et al. 2018, RISE), live, against a random map.

A map orders the picture's pixels from most to least important. Deletion removes them in that order — each
replaced by the same pixel of a canvas (a blurred copy, or the picture's mean colour) — and records the
explained class's probability after each of `steps` equal steps; insertion starts from the canvas and puts the
pixels back in the same order. A map that points at what the network uses makes the deletion curve fall fast
(small area under it) and the insertion curve rise fast (large area). A random map, averaged
over three seeds (a random map as coarse as a CAM: see random_map), is the baseline every map must beat.

The order is the map's value, highest first (a signed map's positive evidence first, as Quantus orders it); the
curve's ends (the picture, the canvas) are shared by every map, and the perturbed copies go through the network
in batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.errors import CnnvizError
from cnnviz.explain.method import blurred
from cnnviz.networks.network import Network
from cnnviz.networks.tracing import runs_networks

BASELINES = ("blur", "mean")
STEPS = (5, 100)
RANDOM = "random"  # the random map's name among the curves
RANDOM_SEEDS = (0, 1, 2)
BATCH = 16


@dataclass(frozen=True)
class Curves:
    """One map's deletion and insertion curves: the class probability at 0, 1/steps, …, 1 of the pixels."""

    method: str
    deletion: np.ndarray
    insertion: np.ndarray

    @property
    def deletion_auc(self) -> float:
        return auc(self.deletion)

    @property
    def insertion_auc(self) -> float:
        return auc(self.insertion)

    def deleted(self, fraction: float) -> float:
        """The probability left when this share of the pixels is deleted (linear between steps)."""
        return float(np.interp(fraction, fractions(len(self.deletion) - 1), self.deletion))


@dataclass(frozen=True)
class Faithfulness:
    target: int
    steps: int
    baseline: str
    curves: dict[str, Curves]  # the methods in the order asked, then RANDOM

    @property
    def methods(self) -> list[str]:
        return [m for m in self.curves if m != RANDOM]

    def ranking(self, kind: str) -> list[str]:
        """Best first: the smallest deletion area, or the largest insertion area (the random map included)."""
        if kind == "deletion":
            return sorted(self.curves, key=lambda m: self.curves[m].deletion_auc)
        return sorted(self.curves, key=lambda m: -self.curves[m].insertion_auc)


def fractions(steps: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, steps + 1)


def auc(curve: np.ndarray) -> float:
    """The area under a curve sampled at equal steps over [0, 1] (trapezoids)."""
    c = np.asarray(curve, dtype=float)
    return float((c[:-1] + c[1:]).sum() / (2 * (len(c) - 1)))


def check(steps: int, baseline: str) -> None:
    if not STEPS[0] <= steps <= STEPS[1]:
        raise CnnvizError(f"steps must be {STEPS[0]} to {STEPS[1]} (got {steps})")
    _check_baseline(baseline)


def _check_baseline(baseline: str) -> None:
    if baseline not in BASELINES:
        raise CnnvizError(f"unknown baseline '{baseline}': use blur (a blurred copy) or mean (the mean colour)")


def canvas(x: torch.Tensor, baseline: str) -> torch.Tensor:
    """What removed pixels become: a blurred copy of the picture, or its mean colour (per channel)."""
    _check_baseline(baseline)
    if baseline == "blur":
        return blurred(x)
    return x.mean(dim=(-2, -1), keepdim=True).expand_as(x).clone()


def ranks(values: np.ndarray) -> np.ndarray:
    """Each pixel's place in the map's order (0: most important; ties in reading order), H×W."""
    flat = np.asarray(values, dtype=float).ravel()
    order = np.argsort(-flat, kind="stable")
    r = np.empty(flat.size, dtype=np.int64)
    r[order] = np.arange(flat.size)
    return r.reshape(np.shape(values))


def random_map(shape: tuple[int, int], grid: tuple[int, int], seed: int) -> np.ndarray:
    """A map that knows nothing but is as coarse as a CAM: uniform random values on the network's last spatial
    grid (7×7 for a 224-px input), bilinearly upsampled to the input. A random order of single pixels would be
    unfair to every map: deleting scattered pixels ruins the picture's texture faster than any region does."""
    g = torch.from_numpy(np.random.default_rng(seed).random(grid))[None, None]
    return F.interpolate(g, size=shape, mode="bilinear", align_corners=False)[0, 0].numpy()


def counts(steps: int, pixels: int) -> list[int]:
    """How many pixels are changed after each step: round(k·pixels/steps), k = 0…steps."""
    return [round(k * pixels / steps) for k in range(steps + 1)]


def mask(r: np.ndarray, fraction: float) -> np.ndarray:
    """The pixels among the first `fraction` of the order (bool H×W)."""
    return r < round(fraction * r.size)


def perturbed_picture(rgb: np.ndarray, values: np.ndarray, fraction: float, baseline: str) -> np.ndarray:
    """The picture as deletion leaves it after `fraction` of the map's order (for thumbnails), uint8 H×W×3."""
    t = torch.tensor(np.asarray(rgb), dtype=torch.float32).permute(2, 0, 1)[None]
    base = canvas(t, baseline)
    m = torch.from_numpy(mask(ranks(values), fraction))[None, None]
    return torch.where(m, base, t)[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()


@runs_networks
def faithfulness(net: Network, x: torch.Tensor, target: int, maps: dict[str, np.ndarray], steps: int = 20,
                 baseline: str = "blur", device: str = "cpu", batch: int = BATCH,
                 progress: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Faithfulness:
    """Deletion and insertion curves of class `target` for every map, and for a random map (mean of 3 seeds).

    Stopped early (`should_stop`), it returns the maps whose curves are complete.
    """
    check(steps, baseline)
    model = net.module(device)
    x = x.detach().to(device)
    base = canvas(x, baseline)
    shape = (int(x.shape[-2]), int(x.shape[-1]))
    bad = [m for m, v in maps.items() if np.shape(v) != shape]
    if bad:
        raise CnnvizError(f"the {bad[0]} map is {np.shape(maps[bad[0]])}, the input {shape}: they must match")
    ns = counts(steps, shape[0] * shape[1])
    grid = tuple(net.layer(net.default_cam_layer).shape[1:])
    orders = [(m, [ranks(v)]) for m, v in maps.items()] + [
        (RANDOM, [ranks(random_map(shape, (int(grid[0]), int(grid[1])), s)) for s in RANDOM_SEEDS])]
    total = sum(len(rs) for _, rs in orders) * 2 * (steps - 1) + 2
    done = 0

    def probs(images: torch.Tensor) -> np.ndarray:
        nonlocal done
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch):
                out.append(torch.softmax(model(images[start:start + batch]), dim=1)[:, target].float().cpu())
                done += len(out[-1])
                if progress is not None:
                    progress(done, total)
        return torch.cat(out).numpy().astype(float)

    whole, empty = probs(torch.cat([x, base]))  # every curve's ends
    curves: dict[str, Curves] = {}
    for method, rank_list in orders:
        if should_stop is not None and should_stop():
            break
        dels, ins = [], []
        for r in rank_list:
            rt = torch.from_numpy(r).to(device)
            masks = torch.stack([(rt < n) for n in ns[1:-1]])[:, None].to(x.dtype)  # [steps−1, 1, H, W]
            deleted = x * (1 - masks) + base * masks
            inserted = base * (1 - masks) + x * masks
            p = probs(torch.cat([deleted, inserted]))
            dels.append(np.concatenate([[whole], p[:steps - 1], [empty]]))
            ins.append(np.concatenate([[empty], p[steps - 1:], [whole]]))
        curves[method] = Curves(method, np.mean(dels, axis=0), np.mean(ins, axis=0))
    return Faithfulness(int(target), steps, baseline, curves)


# ---- in words ----------------------------------------------------------------------------------------------

CAVEATS = ("Read these with care: the blurred or mean-coloured picture is itself unlike the photos the network "
           "was trained on, so part of every drop is the network's surprise at the canvas, not the lost evidence "
           "(ROAD, Rong et al. 2022); on another photo the ranking may change; and deletion favours coarse, "
           "blobby maps, which remove whole regions at once.")
DISAGREEMENT = ("Deletion and insertion often rank the same maps differently — that is normal, not an error here: "
                "each metric asks its own question, and studies of the metrics themselves (MetaQuantus, Hedström "
                "et al. 2023) find they disagree as a rule.")


def read_it(result: Faithfulness, label: str, title: Callable[[str], str], at: float = 0.10) -> list[str]:
    """One or two sentences from the numbers: who drops the class fastest, and who does no better than chance."""
    methods = result.methods
    if not methods:
        return []
    c = result.curves
    start = float(c[methods[0]].deletion[0])
    pct = f"{round(at * 100)} %"
    rnd = c.get(RANDOM)
    by_deletion = sorted(methods, key=lambda m: c[m].deletion_auc)
    best, worst = by_deletion[0], by_deletion[-1]
    if best == worst:
        first = (f"{title(best)}'s most important {pct} of pixels drop '{label}' from {start:.2f} to "
                 f"{c[best].deleted(at):.2f}" + (f"; a random map's drop it to {rnd.deleted(at):.2f}." if rnd else "."))
    else:
        first = (f"Of the {len(methods)} maps, {title(best)} has the lowest deletion area and {title(worst)} the "
                 f"highest (that is why these two are named): {title(best)}'s most important {pct} of pixels drop "
                 f"'{label}' from {start:.2f} to {c[best].deleted(at):.2f}, {title(worst)}'s to "
                 f"{c[worst].deleted(at):.2f} — on this photo {title(best)} points most closely at what the network "
                 "uses.")
    out = [first]
    if rnd is not None:
        losers = [m for m in methods if c[m].deletion_auc >= rnd.deletion_auc]
        if losers:
            names = ", ".join(title(m) for m in losers)
            verb = "does" if len(losers) == 1 else "do"
            out.append(f"{names} {verb} no better than a random map of the same coarseness here (deletion area "
                       f"{min(c[m].deletion_auc for m in losers):.2f} or more, random {rnd.deletion_auc:.2f}).")
        else:
            out.append(f"Every map beats a random map of the same coarseness (random deletion area {rnd.deletion_auc:.2f}, "
                       f"the best {c[best].deletion_auc:.2f}).")
    return out


def disagreements(result: Faithfulness) -> list[tuple[str, int, int]]:
    """(method, its place by deletion, its place by insertion), places from 1, in the deletion order."""
    d, i = result.ranking("deletion"), result.ranking("insertion")
    return [(m, k + 1, i.index(m) + 1) for k, m in enumerate(d)]


def to_json(result: Faithfulness) -> dict:
    """The CLI's --json: per map its areas and curves (rounded to 4 decimals), the random map's too."""
    return {"target": result.target, "steps": result.steps, "baseline": result.baseline,
            "methods": {m: {"deletion_auc": round(c.deletion_auc, 4), "insertion_auc": round(c.insertion_auc, 4),
                            "deletion_curve": [round(float(v), 4) for v in c.deletion],
                            "insertion_curve": [round(float(v), 4) for v in c.insertion]}
                        for m, c in result.curves.items()}}


def to_blob(result: Faithfulness) -> bytes:
    """The curves as bytes a class or hall shares (no pickle): the same maps and photo give the same curves."""
    from cnnviz.classroom.results import pack

    arrays = {f"{kind}_{k}": getattr(c, kind) for k, c in enumerate(result.curves.values())
              for kind in ("deletion", "insertion")}
    return pack({"target": result.target, "steps": result.steps, "baseline": result.baseline,
                 "methods": list(result.curves)}, arrays)


def from_blob(blob: bytes) -> Faithfulness:
    from cnnviz.classroom.results import unpack

    meta, arrays = unpack(blob)
    return Faithfulness(meta["target"], meta["steps"], meta["baseline"],
                        {m: Curves(m, arrays[f"deletion_{k}"], arrays[f"insertion_{k}"])
                         for k, m in enumerate(meta["methods"])})
