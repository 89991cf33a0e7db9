"""The training loop: epochs of shuffled batches, an optimiser step, a schedule, clipping, a stop flag, and hooks.

One loop, so every trainer shuffles, steps, clips, schedules and stops the same way, and a non-finite loss is caught
at the step where it appears rather than after it has poisoned the weights. The caller's hooks see each step: after
the backward pass (gradients in place, weights not yet moved) and after the update.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.networks.tracing import running


@dataclass(frozen=True)
class Step:
    """Where the loop is: `index` counts optimiser steps from 1 over the whole run."""

    index: int
    epoch: int  # 0-based
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    loss: float  # the batch's mean loss
    grad_norm: float  # the global gradient norm before any clipping
    size: int  # examples in the batch (the last of an epoch may be smaller)

    @property
    def epochs_done(self) -> float:
        return self.epoch + self.batch / self.batches


@dataclass(frozen=True)
class LoopEnd:
    steps: int  # optimiser steps taken
    stopped: bool  # the stop flag ended it early
    nan_at_step: int | None  # the step whose loss or gradient was not finite (no update was made from it)
    nan_in: str | None = None  # "loss" or "gradient"


@dataclass(frozen=True)
class Schedule:
    """How the learning rate moves: constant, cosine (falls to 0 by the last step) or one-cycle (warms up, then falls)."""

    kind: str = "constant"

    def make(self, opt: torch.optim.Optimizer, total_steps: int):
        if self.kind == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, total_steps)
        if self.kind == "one-cycle":
            return torch.optim.lr_scheduler.OneCycleLR(opt, [g["lr"] for g in opt.param_groups], total_steps=total_steps)
        return None


class LossWindow:
    """The mean training loss of the batches since the last time it was read: every point of a loss curve then
    averages the same kind of window, whatever the point's place in its epoch."""

    def __init__(self) -> None:
        self._sum, self._n = 0.0, 0

    def add(self, step: Step) -> None:
        self._sum += step.loss * step.size
        self._n += step.size

    def take(self) -> float:
        mean = self._sum / self._n if self._n else math.nan
        self._sum, self._n = 0.0, 0
        return mean


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """Adam, or SGD with momentum 0.9: the two every trainer offers."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, opt: torch.optim.Optimizer, *, epochs: int,
          batch_size: int, gen: torch.Generator, schedule: Schedule = Schedule(), clip: float = 0.0,
          stopping: Callable[[], bool] = lambda: False, augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
          after_backward: Callable[[Step], None] | None = None,
          after_step: Callable[[Step], None] | None = None) -> LoopEnd:
    """Train `model` on (x, y) with cross-entropy; shuffling and augmentation draw only from `gen` (same seed, same
    run). `clip` > 0 rescales the gradients to that global norm at most. Stops between batches when `stopping()`."""
    def loss(idx: torch.Tensor, epoch: int) -> torch.Tensor:
        return F.cross_entropy(model(augment(x[idx]) if augment else x[idx]), y[idx])

    return train_batches(model, len(y), loss, opt, epochs=epochs, batch_size=batch_size, gen=gen, schedule=schedule,
                         clip=clip, stopping=stopping, after_backward=after_backward, after_step=after_step)


def train_batches(model: nn.Module, n: int, batch_loss: Callable[[torch.Tensor, int], torch.Tensor],
                  opt: torch.optim.Optimizer, *, epochs: int, batch_size: int, gen: torch.Generator,
                  schedule: Schedule = Schedule(), clip: float = 0.0, stopping: Callable[[], bool] = lambda: False,
                  train_mode: Callable[[nn.Module], object] = nn.Module.train,
                  after_backward: Callable[[Step], None] | None = None,
                  after_step: Callable[[Step], None] | None = None) -> LoopEnd:
    """The loop itself, for any loss: `batch_loss(idx, epoch)` is the mean loss of examples `idx` (of `n`, shuffled
    by `gen` each epoch); `train_mode(model)` puts the model in training mode before each batch (a fine-tune may
    keep its batch norms frozen)."""
    batches = math.ceil(n / batch_size)
    sched = schedule.make(opt, epochs * batches)
    params = [p for p in model.parameters() if p.requires_grad]
    index = 0
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for b in range(batches):
            if stopping():
                return LoopEnd(index, True, None)
            idx = perm[b * batch_size : (b + 1) * batch_size]
            index += 1
            with running():  # batch by batch: a trace elsewhere never meets this run
                train_mode(model)
                opt.zero_grad(set_to_none=True)
                loss = batch_loss(idx, epoch)
                if not torch.isfinite(loss):
                    return LoopEnd(index - 1, False, index, "loss")
                loss.backward()
                total = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
                if not torch.isfinite(total):
                    return LoopEnd(index - 1, False, index, "gradient")
                if clip > 0:
                    torch.nn.utils.clip_grads_with_norm_(params, clip, total)
                step = Step(index, epoch, b + 1, batches, loss.item(), float(total), len(idx))
                if after_backward:
                    after_backward(step)
                opt.step()
                if sched is not None:
                    sched.step()
            if after_step:
                after_step(step)
    return LoopEnd(index, False, None)
