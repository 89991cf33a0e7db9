"""Paper-faithful variants where torchvision (or this project's trained model) differs.

LeNet-5 as in LeCun et al. 1998: C3's partial connection table, trainable subsampling
(coefficient and bias per map), scaled tanh, Euclidean RBF output units.
AlexNet as in Krizhevsky et al. 2012: 227×227 input, 96 11×11/4 filters, local response
normalisation, overlapping 3×3/2 max-pooling, and optionally the two-GPU grouping.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# LeCun et al. 1998, Table I: which S2 maps feed each C3 map
C3_TABLE = [(0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5), (0, 1, 2, 3), (1, 2, 3, 4),
            (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5), (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
            (0, 1, 2, 3, 4, 5)]


class PartialConv(nn.Module):
    """C3: 16 maps, each a 5×5 convolution over its own subset of the 6 input maps."""

    kernel_size, stride, padding, dilation = (5, 5), (1, 1), (0, 0), (1, 1)

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(len(t), 1, 5) for t in C3_TABLE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([conv(x[:, list(t)]) for conv, t in zip(self.convs, C3_TABLE)], dim=1)

    def macs(self, out_shape) -> int:
        return sum(len(t) * 25 for t in C3_TABLE) * out_shape[-1] * out_shape[-2]


class Subsampling(nn.Module):
    """S2/S4: sum of a 2×2 window × trainable coefficient + trainable bias, per map."""

    kernel_size, stride, padding, dilation = (2, 2), (2, 2), (0, 0), (1, 1)

    def __init__(self, channels: int):
        super().__init__()
        self.coef = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) * 4 * self.coef[:, None, None] + self.bias[:, None, None]

    def macs(self, out_shape) -> int:
        return out_shape[-3] * out_shape[-1] * out_shape[-2]


class ScaledTanh(nn.Module):
    """f(a) = A·tanh(S·a) with A = 1.7159, S = 2/3 (the paper's squashing function)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(2 / 3 * x)


class RBFOutput(nn.Module):
    """Euclidean radial basis units: y_i = Σ_j (x_j − w_ij)²; 84 inputs, 10 classes."""

    def __init__(self, n_in: int = 84, n_out: int = 10):
        super().__init__()
        self.centres = nn.Parameter(torch.zeros(n_out, n_in))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x[:, None, :] - self.centres[None]) ** 2).sum(-1)

    def macs(self, out_shape) -> int:
        return self.centres.numel()


class LeNet5Paper(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.a1 = nn.Conv2d(1, 6, 5), ScaledTanh()
        self.s2, self.a2 = Subsampling(6), ScaledTanh()
        self.c3, self.a3 = PartialConv(), ScaledTanh()
        self.s4, self.a4 = Subsampling(16), ScaledTanh()
        self.c5, self.a5 = nn.Conv2d(16, 120, 5), ScaledTanh()
        self.f6, self.a6 = nn.Linear(120, 84), ScaledTanh()
        self.output = RBFOutput()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.a2(self.s2(self.a1(self.c1(x))))
        x = self.a4(self.s4(self.a3(self.c3(x))))
        x = torch.flatten(self.a5(self.c5(x)), 1)
        return self.output(self.a6(self.f6(x)))


class AlexNetPaper(nn.Module):
    def __init__(self, two_gpu_groups: bool = True, num_classes: int = 1000):
        super().__init__()
        g = 2 if two_gpu_groups else 1
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=g), nn.ReLU(), nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1, groups=g), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1, groups=g), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


PAPER_LEAVES = [PartialConv, Subsampling, ScaledTanh, RBFOutput]

PAPER_PAIRS = {"lenet5": ("lenet5-paper", "lenet5"), "alexnet": ("alexnet-paper", "alexnet")}  # the paper's, runnable


def paper_pair(arch: str) -> tuple[str, str] | None:
    """(the paper's network, the runnable one) for a network that has both in the zoo, from either side."""
    return next((pair for pair in PAPER_PAIRS.values() if arch in pair), None)


DIFFERENCES = {
    "lenet5": [
        "C3 connects each of its 16 maps to a subset of S2's 6 maps (the paper's table); this project's LeNet-5 "
        "connects all 6 to all 16.",
        "S2/S4 sum each 2×2 window, multiply by a trainable coefficient and add a trainable bias per map; here: "
        "plain average pooling without parameters.",
        "Squashing function 1.7159·tanh(2a/3); here: tanh.",
        "Output: 10 Euclidean RBF units with fixed 84-dimensional targets; here: a linear layer + softmax.",
    ],
    "alexnet": [
        "Input 227×227 (the paper's text says 224, which does not give its first layer's stated map size); "
        "torchvision takes 224 and pads conv1.",
        "Wider layers: conv1 and conv2 have more filters in the paper (the channel counts of both are listed below).",
        "Local response normalisation after conv1 and conv2; torchvision has none.",
        "Two-GPU training: conv2, conv4 and conv5 only see the half of the previous layer on their GPU "
        "(groups = 2); torchvision trains on one GPU.",
        "torchvision adds an adaptive average pool to 6×6 before the classifier, so it accepts other input sizes.",
    ],
    "googlenet": [
        "The Inception modules' \"5×5\" branch is a 3×3 convolution in torchvision's GoogLeNet (a known deviation "
        "kept for its pretrained weights); the paper's table and this page's Inception calculator use 5×5.",
        "Every max pool rounds its output size up (ceil mode): maxpool1 takes 112 to ⌈(112 − 3)/2⌉ + 1 = 56, where "
        "the floor formula of the other layers gives 55. The table's kernel column says \"ceil\" where it applies.",
        "Batch normalisation after every convolution (the paper, 2014, predates it) and no local response "
        "normalisation (the paper has it after the first two convolution stages).",
        "The paper's two auxiliary classifiers (training only) are left out when the pretrained weights are loaded.",
    ],
}
