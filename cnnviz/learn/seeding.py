"""Randomness from a per-run torch.Generator, never from torch's global RNG.

Many sessions train and explain at once in one process: global seeding (torch.manual_seed)
would let one session's run consume another's random numbers, so the same seed could give
different results. Initialisation and dropout here draw from the run's own generator.
"""

from __future__ import annotations

import math
from typing import TypeVar

import torch
from torch import nn

M = TypeVar("M", bound=nn.Module)


def init_parameters(module: M, gen: torch.Generator) -> M:
    """PyTorch's default initialisation of every Conv/Linear (kaiming-uniform weights, uniform bias), from `gen`."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
            with torch.no_grad():
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=gen)
                if m.bias is not None:
                    fan_in = m.weight[0].numel()
                    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                    nn.init.uniform_(m.bias, -bound, bound, generator=gen)
    return module


class GeneratorDropout(nn.Module):
    """Dropout whose mask comes from its own generator (identity in eval mode, like nn.Dropout)."""

    def __init__(self, p: float, gen: torch.Generator) -> None:
        super().__init__()
        self.p, self.gen = p, gen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.gen, device="cpu").to(x.device) >= self.p
        return x * keep / (1 - self.p)


def seeded_dropout(module: nn.Module, gen: torch.Generator) -> nn.Module:
    """Replace every nn.Dropout inside `module` (a private copy) by a GeneratorDropout drawing from `gen`."""
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Dropout):
            setattr(module, name, GeneratorDropout(child.p, gen))
        else:
            seeded_dropout(child, gen)
    return module


def noisy_copies(x: torch.Tensor, n: int, std: float, gen: torch.Generator) -> torch.Tensor:
    """n copies of x with Gaussian noise drawn from `gen` (SmoothGrad's samples)."""
    noise = torch.randn((n, *x.shape[1:]), generator=gen, device="cpu").to(x.device) * std
    return x.detach() + noise



