"""A real network under a moving window: the top-1 class for every shift of a 224-px window, one pixel at a time, and
how far each layer's feature map still moves with its input (equivariance decays with depth as strides accumulate).

The window (so anyone can reproduce it): resize the photo (bilinear, antialiased) so its short side is size + S,
centre-crop (size + S)², then the size² window at offset (k, k) for shift k = 0…S; the network's own normalisation
after. Real CNNs are not shift-invariant (Azulay & Weiss 2019; Zhang 2019): the curve is jagged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from cnnviz.caching import KeyedCache
from cnnviz.errors import CnnvizError
from cnnviz.networks.network import Network
from cnnviz.networks.tracing import runs_networks

MAX_SHIFT = 32
BATCH = 4  # measured on 2 cores: 4 beats 1, 12 and 33 (bench.shift_sweep)


@dataclass(frozen=True)
class SweepPoint:
    value: float  # the shift in pixels, the angle in degrees or the scale
    top1: str
    index: int
    probability: float


@dataclass(frozen=True)
class Sweep:
    kind: str  # "shift" | "rotate" | "scale"
    points: tuple[SweepPoint, ...]

    @property
    def consistency(self) -> float:
        """The share of the sweep's points whose top-1 class is the first point's (1.0: invariant)."""
        first = self.points[0].index
        return sum(p.index == first for p in self.points) / len(self.points)

    @property
    def flips(self) -> int:
        """How many times the top-1 class changes from one point to the next."""
        return sum(a.index != b.index for a, b in zip(self.points, self.points[1:]))

    def as_dict(self) -> dict:
        key = {"shift": "shift", "rotate": "angle", "scale": "scale"}[self.kind]
        return {f"{key}s": [{key: p.value, "top1": p.top1, "index": p.index, "probability": p.probability}
                            for p in self.points], "consistency": self.consistency}


def shift_windows(rgb: np.ndarray, max_shift: int, size: int = 224) -> np.ndarray:
    """[S+1, size, size, 3] uint8: the windows at offsets (k, k), k = 0…S, by the definition above."""
    if not 0 <= max_shift <= MAX_SHIFT:
        raise CnnvizError(f"the largest shift must be 0–{MAX_SHIFT} pixels (got {max_shift})")
    img = Image.fromarray(np.asarray(rgb, dtype=np.uint8)).convert("RGB")
    side = size + max_shift
    w, h = img.size
    new = (side, max(side, round(h * side / w))) if w <= h else (max(side, round(w * side / h)), side)
    img = img.resize(new, Image.Resampling.BILINEAR)  # PIL's bilinear widens its support when shrinking: antialiased
    left, top = (new[0] - side) // 2, (new[1] - side) // 2
    square = np.asarray(img.crop((left, top, left + side, top + side)))
    return np.stack([square[k : k + size, k : k + size] for k in range(max_shift + 1)])


def _to_input(net: Network, windows: np.ndarray) -> torch.Tensor:
    """The network's own normalisation of uint8 windows [N,H,W,3] → [N,3,H,W]."""
    pre = net.preprocessing
    t = torch.tensor(windows, dtype=torch.float32).permute(0, 3, 1, 2) / pre.scale
    mean = torch.tensor(pre.mean, dtype=torch.float32)[:, None, None]
    std = torch.tensor(pre.std, dtype=torch.float32)[:, None, None]
    return (t - mean) / std


def _check(net: Network) -> None:
    if net.takes_digits or net.input_size[0] != 3:
        raise CnnvizError(f"{net.title} takes {net.input_size[1]}×{net.input_size[2]} digits, not photos: choose a "
                          "photo network for the sweep")


@runs_networks
def top1_of(net: Network, windows: np.ndarray, values: list[float], kind: str, device: str = "cpu") -> Sweep:
    """The network's top-1 class and probability for each window, in batches."""
    _check(net)
    model = net.module(device)
    probs = []
    with torch.no_grad():
        for i in range(0, len(windows), BATCH):
            probs.append(model(_to_input(net, windows[i : i + BATCH]).to(device)).float().softmax(1).cpu())
    p = torch.cat(probs)
    best, idx = p.max(1)
    return Sweep(kind, tuple(SweepPoint(v, net.labels[int(i)], int(i), float(b))
                             for v, i, b in zip(values, idx, best, strict=True)))


def shift_sweep(net: Network, rgb: np.ndarray, max_shift: int = MAX_SHIFT, device: str = "cpu") -> Sweep:
    size = net.input_size[1]
    return top1_of(net, shift_windows(rgb, max_shift, size), [float(k) for k in range(max_shift + 1)], "shift", device)


def _centre_square(rgb: np.ndarray, side: int) -> Image.Image:
    img = Image.fromarray(np.asarray(rgb, dtype=np.uint8)).convert("RGB")
    w, h = img.size
    s = side / min(w, h)
    img = img.resize((max(side, round(w * s)), max(side, round(h * s))), Image.Resampling.BILINEAR)
    left, top = (img.size[0] - side) // 2, (img.size[1] - side) // 2
    return img.crop((left, top, left + side, top + side))


def rotate_sweep(net: Network, rgb: np.ndarray, angles: list[float], device: str = "cpu") -> Sweep:
    """The centre window turned by each angle (bilinear; corners filled with the network's mean colour)."""
    size = net.input_size[1]
    base = _centre_square(rgb, size)
    wins = np.stack([np.asarray(base.rotate(a, Image.Resampling.BILINEAR, fillcolor=net.preprocessing.fill()))
                     for a in angles])
    return top1_of(net, wins, [float(a) for a in angles], "rotate", device)


def scale_sweep(net: Network, rgb: np.ndarray, scales: list[float], device: str = "cpu") -> Sweep:
    """The centre window at each scale: > 1 zooms in (a smaller centre square enlarged), < 1 zooms out (the window
    shrunk and framed by the network's mean colour)."""
    size = net.input_size[1]
    fill = net.preprocessing.fill()
    base = _centre_square(rgb, size)
    wins = []
    for s in scales:
        if s >= 1:
            side = round(size / s)
            o = (size - side) // 2
            wins.append(np.asarray(base.crop((o, o, o + side, o + side)).resize((size, size), Image.Resampling.BILINEAR)))
        else:
            small = base.resize((round(size * s),) * 2, Image.Resampling.BILINEAR)
            frame = Image.new("RGB", (size, size), fill)
            frame.paste(small, ((size - small.size[0]) // 2,) * 2)
            wins.append(np.asarray(frame))
    return top1_of(net, np.stack(wins), [float(s) for s in scales], "scale", device)


@dataclass(frozen=True)
class LayerPair:
    """One layer's map for the window at offset 0 and for the window at `shift`, the latter moved back by
    round(shift ÷ the layer's jump) cells; both cropped to the cells that have a counterpart."""

    node: str
    original: np.ndarray  # [C,h-d,w-d]
    moved_back: np.ndarray
    cells: int  # d: how many cells the shifted map was moved back

    @property
    def cosine(self) -> float:
        """1.0 where the layer moved exactly with its input."""
        a, b = self.original.ravel(), self.moved_back.ravel()
        den = float(np.linalg.norm(a) * np.linalg.norm(b))
        return float(a @ b) / den if den > 0 else 0.0


@runs_networks
def layer_pairs(net: Network, rgb: np.ndarray, shift: int, nodes: tuple[str, ...],
                device: str = "cpu") -> list[LayerPair]:
    """The aligned pair of every given layer with a spatial map larger than the shift moved back."""
    _check(net)
    wins = shift_windows(rgb, shift, net.input_size[1])[[0, shift]]
    extractor = net.extractor(nodes, device)
    with torch.no_grad():
        maps = extractor(_to_input(net, wins).to(device))
    out = []
    for node in nodes:
        f = maps[node].double().cpu().numpy()
        d = int(round(shift / net.layer(node).jump))
        if f.ndim != 4 or d >= min(f.shape[-2:]):
            continue
        h, w = f.shape[-2:]
        out.append(LayerPair(node, f[0, :, d:, d:], f[1, :, : h - d, : w - d], d))
    return out


def layer_agreement(net: Network, rgb: np.ndarray, shift: int, nodes: tuple[str, ...],
                    device: str = "cpu") -> list[tuple[str, float, int]]:
    """Per layer: (node, cosine similarity, cells moved back) of `layer_pairs`."""
    return [(p.node, p.cosine, p.cells) for p in layer_pairs(net, rgb, shift, nodes, device)]


_SWEEPS = KeyedCache(32)
ROTATIONS = [float(a) for a in range(-30, 31, 5)]
SCALES = [round(0.7 + 0.05 * i, 2) for i in range(13)]


def sweep(net: Network, rgb: np.ndarray, kind: str, max_shift: int = MAX_SHIFT, device: str = "cpu") -> Sweep:
    """The sweep of `kind` ("shift", "rotate" or "scale"), computed once per network, photo and settings for every
    session (a class sweeping the sample photo sweeps it once)."""
    photo = hashlib.sha256(np.ascontiguousarray(rgb).tobytes() + str(np.shape(rgb)).encode()).hexdigest()

    def make() -> Sweep:
        if kind == "rotate":
            return rotate_sweep(net, rgb, ROTATIONS, device)
        if kind == "scale":
            return scale_sweep(net, rgb, SCALES, device)
        return shift_sweep(net, rgb, max_shift, device)

    return _SWEEPS.get((net.key, photo, kind, max_shift if kind == "shift" else 0, device), make)


def agreement_by_depth(net: Network, rgb: np.ndarray, shift: int, device: str = "cpu",
                       most: int = 16) -> list[tuple[str, float, int]]:
    """`layer_agreement` for up to `most` layers spread evenly from input to output."""
    return layer_agreement(net, rgb, shift, spread_layers(net, most), device)


def spread_layers(net: Network, most: int = 16) -> tuple[str, ...]:
    """Up to `most` layers with spatial maps, spread evenly from input to output."""
    maps = [info for info in net.layers() if len(info.shape) == 3 and info.shape[1] > 1]
    return tuple(info.node for info in maps[:: max(1, len(maps) // most)])
