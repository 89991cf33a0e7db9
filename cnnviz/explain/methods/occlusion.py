"""Occlusion (Zeiler & Fergus 2014): how much the score drops when a window of the picture is covered."""

from __future__ import annotations

import torch

from cnnviz.errors import CnnvizError
from cnnviz.explain.method import Method, Request, Setting


def check(x: torch.Tensor, window: int, stride: int) -> None:
    """The window must fit the input (captum asserts otherwise): said in words, with the limit."""
    h, w = int(x.shape[-2]), int(x.shape[-1])
    if not 1 <= window <= min(h, w):
        raise CnnvizError(f"the occlusion window ({window} px) must fit the {h}×{w} input: use 1 to {min(h, w)} px")
    if stride < 1:
        raise CnnvizError(f"the occlusion stride must be at least 1 px (got {stride})")


def compute(req: Request) -> torch.Tensor:
    from captum.attr import Occlusion  # here, not at the top: listing the methods needs no captum

    o = req.options
    check(req.x, o.window, o.stride)
    c = req.x.shape[1]
    return Occlusion(req.forward()).attribute(req.leaf(), sliding_window_shapes=(c, o.window, o.window),
                                              strides=(c, o.stride, o.stride), baselines=0.0)[0].sum(0)


METHOD = Method(
    "occlusion", "Occlusion", order=70, compute=compute, in_sanity=False,
    settings=(Setting("window", "Occlusion window (px)", 4, 112, 7, of_input=True),
              Setting("stride", "Occlusion stride (px)", 2, 112, 14, of_input=True)),
    note="Zeiler & Fergus: the drop of the score when a window of the image is covered. Model-agnostic and "
         "intuitive, but slow and tied to the window size.")
