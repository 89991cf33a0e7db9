"""A small single-shot (YOLO-style) detector of handwritten digits, trained by this project on synthetic scenes.

A scene is a black canvas (128–256 px square) with 1–5 white MNIST digits, each scaled to
20–56 px and not overlapping; a digit's box is the tight box around its non-zero pixels
after scaling. Training scenes use only the 4,000 training digits of LeNet-5's split;
the recorded precision / recall / mAP@0.5 use scenes of the 1,000 held-out digits.

The network sees the scene padded to 256×256 and predicts, for every cell of a 32×32 grid
(stride 8): an objectness logit, the box centre inside the cell (sigmoid), the box width and
height (exp × 32 px) and ten class logits. A cell is responsible for the digit whose centre
falls in it. Decoding keeps cells whose score = objectness × class probability passes a
threshold, then applies NMS (class-agnostic: the digits never overlap).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from cnnviz.caching import KeyedCache, digest

CANVAS = 256
STRIDE = 8
GRID = CANVAS // STRIDE
SIZE_PRIOR = 32.0  # width / height = exp(t) × 32 px
ASSETS = Path(__file__).resolve().parents[2] / "assets"
WEIGHTS = ASSETS / "digit_detector.pt"


@dataclass(frozen=True)
class Scene:
    image: np.ndarray  # H×W uint8, white digits on black
    boxes: np.ndarray  # N×4 [x1, y1, x2, y2], the tight boxes
    labels: np.ndarray  # N digits


def make_scene(digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Scene:
    """1–5 digits drawn at random (from `digits`) on a 128–256 px black canvas, scaled to 20–56 px, not overlapping."""
    side = int(rng.integers(128, 257))
    canvas = np.zeros((side, side), dtype=np.uint8)
    boxes: list[tuple[int, int, int, int]] = []
    labs: list[int] = []
    for _ in range(int(rng.integers(1, 6))):
        k = int(rng.integers(len(digits)))
        size = int(rng.integers(20, 57))
        img = np.asarray(Image.fromarray(digits[k]).resize((size, size), Image.Resampling.BILINEAR))
        ys, xs = np.nonzero(img > 0)
        if len(ys) == 0:
            continue
        tight = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        for _try in range(30):  # a free place, not overlapping the boxes already there
            x0, y0 = int(rng.integers(0, side - size + 1)), int(rng.integers(0, side - size + 1))
            box = (x0 + tight[0], y0 + tight[1], x0 + tight[2], y0 + tight[3])
            if all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1] for b in boxes):
                canvas[y0:y0 + size, x0:x0 + size] = np.maximum(canvas[y0:y0 + size, x0:x0 + size], img)
                boxes.append(box)
                labs.append(int(labels[k]))
                break
    return Scene(canvas, np.asarray(boxes, dtype=float).reshape(-1, 4), np.asarray(labs, dtype=int))


def scenes(n: int, split: str, seed: int) -> list[Scene]:
    """`n` scenes of the training digits (split 'train') or of the held-out digits ('heldout')."""
    from cnnviz.networks.lenet import mnist_split

    xtr, ytr, xte, yte = mnist_split()
    x, y = (xtr, ytr) if split == "train" else (xte, yte)
    rng = np.random.default_rng(seed)
    return [make_scene(x, y, rng) for _ in range(n)]


def to_input(gray: np.ndarray) -> tuple[torch.Tensor, float]:
    """A scene (any size) as the network's 1×1×256×256 input, and the factor its coordinates were scaled by."""
    img = Image.fromarray(np.asarray(gray, dtype=np.uint8))
    factor = 1.0
    if max(img.size) > CANVAS:
        factor = CANVAS / max(img.size)
        img = img.resize((max(1, round(img.width * factor)), max(1, round(img.height * factor))),
                         Image.Resampling.BILINEAR)
    padded = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    padded[: arr.shape[0], : arr.shape[1]] = arr
    return torch.from_numpy(padded)[None, None], factor


@dataclass(frozen=True)
class InputGeometry:
    """Where a scene sits in the network's 256-px input: scaled by `factor` (≤ 1), padded with black to the right
    and below; the 32×32 grid's cells are `cell_px` of the scene's own pixels, `covered` of them hold the scene."""

    factor: float
    cell_px: float
    covered: tuple[int, int]  # rows, columns of cells that overlap the scene

    @property
    def extent(self) -> float:
        """The network's whole input in the scene's pixels."""
        return GRID * self.cell_px

    def sentence(self, shape: tuple[int, int]) -> str:
        h, w = shape
        scaled = "" if self.factor == 1 else f" scaled by ×{self.factor:.2f} to fit,"
        return (f"The network sees your {w}×{h}-px scene{scaled} in the top-left corner of a {CANVAS}×{CANVAS} "
                f"black input: its {GRID}×{GRID} grid has {GRID * GRID:,} cells of {STRIDE} px, and "
                f"{self.covered[0]}×{self.covered[1]} of them cover the scene — the others see only the black "
                "padding (drawn darker), and they predict a box too.")


def input_geometry(shape: tuple[int, int]) -> InputGeometry:
    """The geometry `to_input` gives a scene of this shape (the same resize, in numbers)."""
    h, w = shape
    factor = CANVAS / max(h, w) if max(h, w) > CANVAS else 1.0
    sh, sw = max(1, round(h * factor)), max(1, round(w * factor))
    return InputGeometry(factor, STRIDE / factor, (math.ceil(sh / STRIDE), math.ceil(sw / STRIDE)))


def photo_to_scene(rgb: np.ndarray) -> np.ndarray:
    """A photo of digits as a scene: grey, and inverted when the ink is dark on a light background."""
    gray = np.asarray(Image.fromarray(np.asarray(rgb, dtype=np.uint8)).convert("L"))
    return 255 - gray if gray.mean() > 127 else gray


class DigitDetector(nn.Module):
    """Six 3×3 convolutions (strides 2, 2, 2, then dilations 2, 4: a 95-px receptive field for 56-px digits)
    → 15 numbers per cell of a 32×32 grid."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, dilation, dilation, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        self.features = nn.Sequential(block(1, 16, 2), block(16, 32, 2), block(32, 48, 2), block(48, 48),
                                      block(48, 64, dilation=2), block(64, 64, dilation=4))
        self.head = nn.Conv2d(64, 15, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # B×15×32×32: objectness, tx, ty, tw, th, 10 class logits


def targets(scene: Scene, factor: float = 1.0) -> torch.Tensor:
    """15×32×32 training targets: [has object, cx in cell, cy in cell, log(w/32), log(h/32), class]."""
    t = torch.zeros(6, GRID, GRID)
    for (x1, y1, x2, y2), lab in zip(scene.boxes * factor, scene.labels):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        gx, gy = min(int(cx // STRIDE), GRID - 1), min(int(cy // STRIDE), GRID - 1)
        t[:, gy, gx] = torch.tensor([1.0, cx / STRIDE - gx, cy / STRIDE - gy, math.log((x2 - x1) / SIZE_PRIOR),
                                     math.log((y2 - y1) / SIZE_PRIOR), float(lab)])
    return t


def loss_of(out: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    obj = tgt[:, 0]
    pos = obj > 0
    # ~3 digits among 1,024 cells: positives weigh 15× (at 5× the responsible cells stayed under-confident)
    loss = F.binary_cross_entropy_with_logits(out[:, 0], obj, pos_weight=torch.tensor(15.0))
    if pos.any():
        xy = torch.sigmoid(out[:, 1:3]).permute(0, 2, 3, 1)[pos]
        wh = out[:, 3:5].permute(0, 2, 3, 1)[pos]
        loss = loss + 5 * F.mse_loss(xy, tgt[:, 1:3].permute(0, 2, 3, 1)[pos]) \
            + 5 * F.mse_loss(wh, tgt[:, 3:5].permute(0, 2, 3, 1)[pos]) \
            + F.cross_entropy(out[:, 5:].permute(0, 2, 3, 1)[pos], tgt[:, 5][pos].long())
    return loss


@dataclass(frozen=True)
class CellPrediction:
    row: int
    col: int
    objectness: float
    box: tuple[float, float, float, float]
    label: int
    class_probability: float

    @property
    def score(self) -> float:
        return self.objectness * self.class_probability


def cell_predictions(out: torch.Tensor, factor: float = 1.0) -> list[CellPrediction]:
    """Every cell's raw prediction (one 15×32×32 output), its box in the scene's own pixels."""
    o = out.detach().float()
    obj = torch.sigmoid(o[0])
    xy = torch.sigmoid(o[1:3])
    wh = torch.exp(o[3:5].clamp(-6, 6)) * SIZE_PRIOR
    probs = torch.softmax(o[5:], dim=0)
    best_p, best = probs.max(dim=0)
    gy, gx = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
    cx, cy = (gx + xy[0]) * STRIDE, (gy + xy[1]) * STRIDE
    x1, y1, x2, y2 = (cx - wh[0] / 2) / factor, (cy - wh[1] / 2) / factor, (cx + wh[0] / 2) / factor, \
        (cy + wh[1] / 2) / factor
    return [CellPrediction(r, c, float(obj[r, c]), (float(x1[r, c]), float(y1[r, c]), float(x2[r, c]),
                                                    float(y2[r, c])), int(best[r, c]), float(best_p[r, c]))
            for r in range(GRID) for c in range(GRID)]


@dataclass(frozen=True)
class Detection:
    box: tuple[float, float, float, float]
    label: int
    score: float
    cell: tuple[int, int]


def decode(cells: list[CellPrediction], threshold: float = 0.5, iou_threshold: float = 0.45) -> list[Detection]:
    """Cells whose score passes the threshold, then NMS over all of them (cnnviz.detect.boxes.nms).

    Class-agnostic: digits in a scene never overlap, so two boxes on one place are one digit
    seen twice (often by neighbouring cells that disagree on the digit) and the better one stays.
    """
    from cnnviz.detect.boxes import nms

    cands = [c for c in cells if c.score >= threshold and c.box[2] > c.box[0] and c.box[3] > c.box[1]]
    if not cands:
        return []
    keep = nms([c.box for c in cands], [c.score for c in cands], iou_threshold).keep
    return [Detection(cands[k].box, cands[k].label, cands[k].score, (cands[k].row, cands[k].col)) for k in keep]


def load(path: Path = WEIGHTS) -> DigitDetector:
    from cnnviz.errors import ModelUnavailable

    if not path.is_file():
        raise ModelUnavailable("the digits detector's weights are not in assets/: python scripts/train_digit_detector.py")
    model = DigitDetector()
    model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"), strict=True)
    return model.eval().requires_grad_(False)


def detect(model: DigitDetector, gray: np.ndarray, threshold: float = 0.5, iou_threshold: float = 0.45
           ) -> tuple[list[CellPrediction], list[Detection]]:
    """A scene's every cell prediction and its final detections, boxes in the scene's pixels."""
    cells = _cells(model, gray)
    return cells, decode(cells, threshold, iou_threshold)


def _cells(model: DigitDetector, gray: np.ndarray) -> list[CellPrediction]:
    from cnnviz.networks.tracing import running

    x, factor = to_input(gray)
    with torch.no_grad(), running():
        out = model(x)[0]
    return cell_predictions(out, factor)


_shared = KeyedCache(1)  # the shipped detector, frozen, one per process
_scene_cells = KeyedCache(32)  # scene digest → the shipped detector's cell predictions on it


def shared() -> DigitDetector:
    """The shipped detector, one per process, shared by every session (eval mode, no gradients, never modified)."""
    return _shared.get("digits", load)


def detect_shared(gray: np.ndarray, threshold: float = 0.5, iou_threshold: float = 0.45
                  ) -> tuple[list[CellPrediction], list[Detection]]:
    """`detect` with the shipped detector; the network runs once per scene (the thresholds only decode its cells)."""
    cells = _scene_cells.get(digest(gray), lambda: _cells(shared(), gray))
    return cells, decode(cells, threshold, iou_threshold)


def evaluate(model: DigitDetector, test: list[Scene], threshold: float = 0.5, iou_threshold: float = 0.5) -> dict:
    """Precision and recall (a right digit at IoU ≥ 0.5, score ≥ threshold) and mAP@0.5 over the ten digits."""
    from cnnviz.detect.boxes import box_iou

    per_class: dict[int, list[tuple[float, bool]]] = {d: [] for d in range(10)}
    n_true = {d: 0 for d in range(10)}
    tp = fp = 0
    for s in test:
        cells, _ = detect(model, s.image, 0.0)
        dets = decode(cells, 0.05, 0.45)
        for lab in s.labels:
            n_true[int(lab)] += 1
        matched: set[int] = set()
        for d in sorted(dets, key=lambda d: -d.score):
            ious = box_iou([d.box], s.boxes)[0] if len(s.boxes) else np.zeros(0)
            cand = [j for j in np.argsort(-ious) if ious[j] >= iou_threshold and s.labels[j] == d.label
                    and j not in matched]
            hit = bool(cand)
            if hit:
                matched.add(int(cand[0]))
            per_class[d.label].append((d.score, hit))
            if d.score >= threshold:
                tp += hit
                fp += not hit
    total = sum(n_true.values())
    aps = []
    for digit in range(10):
        if not n_true[digit]:
            continue
        ranked = sorted(per_class[digit], key=lambda t: -t[0])
        hits = np.cumsum([h for _, h in ranked]) if ranked else np.zeros(0)
        prec = hits / np.arange(1, len(ranked) + 1) if ranked else np.zeros(0)
        rec = hits / n_true[digit] if ranked else np.zeros(0)
        ap = 0.0
        for r in np.linspace(0, 1, 101):  # 101-point interpolated AP, as COCO
            above = prec[rec >= r] if len(rec) else np.zeros(0)
            ap += (above.max() if len(above) else 0.0) / 101
        aps.append(ap)
    return {"precision": tp / max(tp + fp, 1), "recall": tp / max(total, 1), "map50": float(np.mean(aps)),
            "scenes": len(test), "digits": total, "score_threshold": threshold, "iou_threshold": iou_threshold}


def train(epochs: int = 12, n_train: int = 3000, seed: int = 0, callback=None) -> DigitDetector:
    """Train on fresh training-digit scenes each epoch, in the project's one loop (learn.loop), one-cycle schedule;
    a per-run generator: the same seed, the same weights. `callback(epoch, mean loss)` after each epoch."""
    from cnnviz.learn import loop

    torch.manual_seed(seed)
    model = DigitDetector()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    data: dict[int, list[Scene]] = {}

    def batch_loss(idx: torch.Tensor, epoch: int) -> torch.Tensor:
        if epoch not in data:  # this epoch's fresh scenes (the last epoch's are let go)
            data.clear()
            data[epoch] = scenes(n_train, "train", seed * 1000 + epoch)
        xs, tg = zip(*[(to_input(data[epoch][j].image)[0], targets(data[epoch][j])) for j in idx.tolist()])
        return loss_of(model(torch.cat(xs)), torch.stack(tg))

    window = loop.LossWindow()

    def after_step(step: loop.Step) -> None:
        window.add(step)
        if callback and step.batch == step.batches:
            callback(step.epoch + 1, window.take())

    loop.train_batches(model, n_train, batch_loss, opt, epochs=epochs, batch_size=32,
                       gen=torch.Generator().manual_seed(seed), schedule=loop.Schedule("one-cycle"),
                       after_step=after_step)
    return model.eval().requires_grad_(False)


def save(model: DigitDetector, metrics: dict, path: Path = WEIGHTS) -> None:
    torch.save(model.state_dict(), path)
    path.with_suffix(".json").write_text(json.dumps(metrics, indent=2))


def recorded_metrics(path: Path = WEIGHTS) -> dict | None:
    meta = path.with_suffix(".json")
    return json.loads(meta.read_text()) if meta.is_file() else None


DRAW_SIDE = 128  # the drawing canvas: the smallest training scene, so a digit drawn a third of it tall is typical
PEN = 5  # px: a digit drawn 30–50 px tall gets MNIST's stroke-to-height ratio (measured best of 4, 5, 6 px)


def draw_strokes(strokes: list[list[tuple[float, float]]], side: int = DRAW_SIDE, pen: int = PEN) -> np.ndarray:
    """A drawn scene: each stroke (a list of (x, y) points in canvas pixels) as a white line on black.

    Round caps and joins, lightly blurred like a scanned pen, so hand-drawn digits look like the
    MNIST digits the detector learnt from. Points outside the canvas are clipped by the drawing.
    """
    from PIL import ImageDraw, ImageFilter

    img = Image.new("L", (side, side), 0)
    d = ImageDraw.Draw(img)
    r = pen / 2
    for stroke in strokes:
        pts = [(float(x), float(y)) for x, y in stroke if math.isfinite(x) and math.isfinite(y)]
        if len(pts) > 1:
            d.line(pts, fill=255, width=pen, joint="curve")
        for x, y in pts[:1] + pts[-1:]:
            d.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(img.filter(ImageFilter.GaussianBlur(1.0)))
