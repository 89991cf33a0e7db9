"""What a network computes on a photo: predictions, feature maps, receptive fields.

Intermediate layers are read without hooks: torch.fx traces each model once into a
graph (TF-'same' convolutions are leaves), and per requested layer a feature-extraction
graph module is built that shares the frozen parameters and stops at that layer. So the
shared model is never modified and many sessions can inspect it at the same time.
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.caching import KeyedCache
from cnnviz.errors import CnnvizError
from cnnviz.networks.efficientnet_lite import Conv2dSame
from cnnviz.networks.tracing import running, tracing
from cnnviz.present.colours import colour_range, is_signed, to_rgb

if TYPE_CHECKING:  # the handle calls this module; this module only names the handle's type
    from cnnviz.networks.network import Network

LEAVES = [Conv2dSame]
_ACT_MODULES = (nn.ReLU, nn.ReLU6, nn.Tanh, nn.Sigmoid)
_POOL_MODULES = (nn.MaxPool2d, nn.AvgPool2d)
_CONV_MODULES = (nn.Conv2d,)
_FUNCS = {F.relu: "ReLU", torch.relu: "ReLU", operator.add: "add (residual)", torch.add: "add (residual)",
          torch.cat: "concatenate (branches)", F.max_pool2d: "MaxPool", F.avg_pool2d: "AvgPool"}


@dataclass(frozen=True)
class LayerInfo:
    node: str  # FX node name (what extraction asks for)
    kind: str  # Conv, ReLU6, MaxPool, add (residual), …
    group: str  # stage / block for the picker
    shape: tuple[int, int, int]  # C, H, W for one image
    rf: float  # theoretical receptive field (pixels); inf for global
    jump: float
    start: float  # input-pixel coordinate of the first unit's receptive-field centre
    source: str | None  # the node feeding it (for "before activation" views)
    title: str = ""  # readable: "block 5 · expand 1×1 conv → ReLU6" (the node is the module path, a detail)

    @property
    def label(self) -> str:
        """What pickers show: the readable title and the output shape (the module path is in `node`)."""
        c, h, w = self.shape
        return f"{self.title or self.node} · {c}×{h}×{w}" + (f"  ({self.node})" if self.title else "")


def project_tracer(extra_leaves: tuple = ()):
    """The one tracer of this project (layers, extractors and rule graphs all name nodes its way)."""
    from torchvision.models.feature_extraction import NodePathTracer

    return NodePathTracer(leaf_modules=LEAVES + list(extra_leaves))


def _conv_params(mod: nn.Module, in_shape) -> tuple[int, int, int, int, int, int, int, int]:
    """(kh, kw, sh, sw, pad_top, pad_left, dh, dw) as applied to an input of in_shape."""
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)
    kh, kw = pair(mod.kernel_size)
    sh, sw = pair(mod.stride) if mod.stride is not None else (kh, kw)
    dh, dw = pair(getattr(mod, "dilation", 1))
    if isinstance(mod, Conv2dSame):
        t, _, l, _ = mod.same_padding(in_shape[-2], in_shape[-1])
        return kh, kw, sh, sw, t, l, dh, dw
    ph, pw = pair(mod.padding) if not isinstance(mod.padding, str) else (0, 0)
    return kh, kw, sh, sw, ph, pw, dh, dw


def _graph(net: Network):
    """(model, traced graph, node names, rf table) for one network, computed once per network."""
    return net.memo(("graph",), lambda: analyse(net.module(), net.input_size))


def analyse(model: nn.Module, input_size: tuple[int, int, int], extra_leaves: tuple = ()):
    """Trace `model`, propagate shapes for a 1×C×H×W input, and each node's (rf, jump, start).

    Receptive fields compose per layer: rf += (D·(k−1))·jump, start += (D·(k−1)/2 − pad)·jump,
    jump ×= stride; where branches meet (residual add, concatenation) the largest path counts.
    """
    from torch.fx import GraphModule
    from torch.fx.passes.shape_prop import ShapeProp

    tracer = project_tracer(extra_leaves)
    with tracing():
        graph = tracer.trace(model)
    gm = GraphModule(tracer.root, graph)
    import contextlib
    import io

    with running(), contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints a traceback before re-raising
        ShapeProp(gm).propagate(torch.zeros(1, *input_size))
    names = {n: tracer.node_to_qualname[n] for n in graph.nodes if n in tracer.node_to_qualname}
    rf: dict = {}
    for n in graph.nodes:
        ins = [a for a in n.all_input_nodes if a in rf]
        if n.op == "placeholder":
            rf[n] = (1.0, 1.0, 0.0)
            continue
        if not ins:
            continue
        r, j, s = max((rf[a] for a in ins), key=lambda t: t[0])  # the largest path
        in_shape = getattr(n.all_input_nodes[0].meta.get("tensor_meta"), "shape", None)
        kind = None
        if n.op == "call_module":
            mod = model.get_submodule(n.target)
            if (isinstance(mod, _CONV_MODULES + _POOL_MODULES) or hasattr(mod, "kernel_size")) \
                    and in_shape is not None:
                kind = _conv_params(mod, in_shape)
            elif isinstance(mod, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Linear, nn.Flatten)):
                r = math.inf
        elif n.op == "call_function" and n.target in (F.max_pool2d, F.avg_pool2d):
            k = n.args[1] if len(n.args) > 1 else n.kwargs["kernel_size"]
            st = n.args[2] if len(n.args) > 2 else n.kwargs.get("stride") or k
            p = n.args[3] if len(n.args) > 3 else n.kwargs.get("padding", 0)
            kind = (k, k, st, st, p, p, 1, 1) if isinstance(k, int) else (*k, *st, *p, 1, 1)
        elif n.op == "call_function" and n.target in (F.adaptive_avg_pool2d, torch.flatten, F.linear):
            r = math.inf
        if kind is not None and math.isfinite(r):
            kh, kw, sh, sw, pt, pl, dh, dw = kind
            k_eff = dh * (kh - 1) + 1
            r, s, j = r + (k_eff - 1) * j, s + ((k_eff - 1) / 2 - pt) * j, j * sh
        rf[n] = (r, j, s)
    return model, graph, names, rf


def _architecture_graph(net: Network):
    """The graph of the architecture alone (random weights): shapes and receptive fields need no weights."""
    def make():
        model = net.spec.architecture().eval().requires_grad_(False)
        return analyse(model, net.input_size)

    return net.memo(("graph", "architecture"), make)


def layers(net: Network) -> tuple[LayerInfo, ...]:
    """Inspectable layers (4-D outputs of convolutions, activations, pools, residual adds, concatenations).

    Shapes and receptive fields depend on the architecture only: a network whose weights are
    not downloaded still lists its layers (traced from the architecture).
    """
    weighted = net.available
    model, graph, names, rf = _graph(net) if weighted else _architecture_graph(net)
    return net.memo(("layers", weighted), lambda: layers_of(model, graph, names, rf, group=net.spec.group))


def output_node(net: Network) -> str:
    """The node whose output the network returns (its logits), as extraction names it: one algorithm for every
    method that reads the logits beside a layer (Grad-CAM and its family, fantasy images with diversity)."""
    def make() -> str:
        _, graph, names, _ = _graph(net)
        returned = next(n for n in graph.nodes if n.op == "output").all_input_nodes[0]
        return names[returned] if returned in names else names[[n for n in graph.nodes if n in names][-1]]

    return net.memo(("output-node",), make)


def default_cam_layer(net: Network) -> str:
    """The last spatial layer (before global pooling), Grad-CAM's usual choice; a network without one (your own
    graph of only fully connected layers) is told in words: the CAM family needs a layer with a height and width."""
    spatial = [i for i in layers(net) if len(i.shape) == 3 and i.shape[1] > 1]
    if not spatial:
        raise CnnvizError(f"{net.title} has no layer with a height and width (a feature map) that the CAM family "
                          "could weigh: choose saliency, integrated gradients, occlusion or SmoothGrad")
    return spatial[-1].node


def layers_of(model: nn.Module, graph, names: dict, rf: dict, group: Callable[[str], str] = lambda node: "layers"
              ) -> tuple[LayerInfo, ...]:
    out = []
    described: dict = {}  # node → its words, so an activation can say what it follows
    for n in graph.nodes:
        meta = n.meta.get("tensor_meta")
        shape = getattr(meta, "shape", None)
        if shape is None or len(shape) != 4 or n not in names:
            continue
        kind = None
        if n.op == "call_module":
            mod = model.get_submodule(n.target)
            if isinstance(mod, _CONV_MODULES):
                kind = "Conv" if mod.groups == 1 else "Depthwise conv"
            elif isinstance(mod, _ACT_MODULES + _POOL_MODULES):
                kind = type(mod).__name__.replace("2d", "")
        elif n.op == "call_function" and n.target in _FUNCS:
            kind = _FUNCS[n.target]
        elif n.op == "call_method" and n.target == "relu":
            kind = "ReLU"
        if kind is None:
            continue
        src = n.all_input_nodes[0] if n.all_input_nodes else None
        r, j, s = rf.get(n, (math.nan,) * 3)
        c, h, w = (int(v) for v in shape[1:])
        what = _what(model, n, kind)
        prev, hops = src, 0
        while prev is not None and prev not in described and hops < 4 and prev.all_input_nodes:  # through BatchNorm
            prev, hops = prev.all_input_nodes[0], hops + 1
        if kind in _ACT_TITLES and prev is not None and prev in described:
            what = f"{described[prev].split(' → ')[0]} → {kind}"
        described[n] = what
        out.append(LayerInfo(names[n], kind, group(names[n]), (c, h, w), r, j, s, names.get(src),
                             f"{group(names[n])} · {what}" if group(names[n]) != "layers" else what))
    return tuple(out)


_ACT_TITLES = ("ReLU", "ReLU6", "Tanh", "Sigmoid")
_ROLES = {"expand": "expand", "project": "project", "depthwise": "", "downsample": "shortcut", "shortcut": "shortcut",
          "reduce": "reduce", "squeeze": "squeeze", "proj": "project"}


def _what(model: nn.Module, n, kind: str) -> str:
    """A layer in words: '3×3 conv, stride 2', 'depthwise 5×5 conv', 'max pool 3×3', 'add (residual)'."""
    if n.op != "call_module":
        return kind
    mod = model.get_submodule(n.target)
    leaf = str(n.target).rsplit(".", 1)[-1].lower()
    role = next((v for k, v in _ROLES.items() if k in leaf), "")
    if isinstance(mod, nn.Conv2d):
        k = mod.kernel_size
        size = f"{k[0]}×{k[1]}"
        depthwise = mod.groups > 1 and mod.groups == mod.in_channels
        text = f"{'depthwise ' if depthwise else ''}{size} conv"
        if mod.stride[0] > 1:
            text += f", stride {mod.stride[0]}"
        return f"{role} {text}".strip()
    if isinstance(mod, (nn.MaxPool2d, nn.AvgPool2d)):
        side = mod.kernel_size if isinstance(mod.kernel_size, int) else mod.kernel_size[0]
        return f"{'max' if isinstance(mod, nn.MaxPool2d) else 'average'} pool {side}×{side}"
    return kind


def layer(net: Network, node: str) -> LayerInfo:
    return net.layer(node)


def extractor(net: Network, nodes: tuple[str, ...], device: str = "cpu") -> nn.Module:
    """A graph module returning {node: output}; shares the frozen model's parameters.

    Traced by the same tracer as `layers`, so every node a layer list offers is one it accepts. (torchvision's
    `create_feature_extractor` makes every class of torchvision.ops a leaf: MobileNetV2's Conv2dNormActivation
    is then one node, `features.18`, and the layer list's `features.18.2` — its ReLU6 — does not exist there.)
    """
    from torch.fx import GraphModule


    def make() -> nn.Module:
        model = net.module(device)
        tracer = project_tracer()
        with tracing():
            graph = tracer.trace(model)
        by_name = {q: n for n, q in tracer.node_to_qualname.items()}
        missing = [k for k in nodes if k not in by_name]
        if missing:
            raise ValueError(f"node: {missing[0]!r} is not present in model")
        for n in [n for n in graph.nodes if n.op == "output"]:
            graph.erase_node(n)
        graph.output({k: by_name[k] for k in nodes})
        gm = GraphModule(tracer.root, graph, class_name=type(model).__name__ + "Extractor")
        gm.graph.eliminate_dead_code()  # only what the requested nodes need runs
        gm.recompile()
        return gm.eval()

    return net.memo(("extractor", tuple(nodes), str(device)), make)


RESULTS_KEPT = 64  # per process: a class looking at the same sample photo shares one forward pass
_results = KeyedCache(RESULTS_KEPT)


def input_key(x: torch.Tensor) -> str:
    """A digest of an input tensor's values: what shared results and figures are keyed by."""
    return hashlib.sha1(x.detach().cpu().contiguous().numpy().tobytes()).hexdigest()


def _shared_result(net: Network, what: tuple, x: torch.Tensor, device: str, make):
    """A result that depends only on (network, input, what): computed once per process, shared, read-only."""
    return _results.get((net.key, str(device), input_key(x), *what), make)


def forget_results(key: str) -> None:
    """Drop the shared results computed with network `key` (its weights were swapped)."""
    _results.discard_where(lambda k: k[0] == key)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def feature_maps(net: Network, x: torch.Tensor, nodes: tuple[str, ...], device: str = "cpu") -> dict[str, np.ndarray]:
    """Outputs of `nodes` for one image tensor [1,C,H,W] → {node: float32 [C,H,W]} (shared: read-only)."""

    def make() -> dict[str, np.ndarray]:
        fx = extractor(net, tuple(nodes), device)
        with running(), torch.no_grad():
            out = fx(x.to(device))
        return {k: _frozen(v[0].float().cpu().numpy()) for k, v in out.items()}

    return dict(_shared_result(net, ("maps", tuple(nodes)), x, device, make))


@dataclass(frozen=True)
class Prediction:
    label: str
    index: int
    probability: float


def predict(net: Network, x: torch.Tensor, top: int = 5, device: str = "cpu") -> list[Prediction]:

    def make() -> list[Prediction]:
        model = net.module(device)
        with running(), torch.no_grad():
            p = model(x.to(device)).float().softmax(1)[0].cpu()
        values, idx = p.topk(min(top, p.numel()))
        names = net.labels
        return [Prediction(names[int(i)], int(i), float(v)) for v, i in zip(values, idx)]

    return list(_shared_result(net, ("predict", top), x, device, make))


def effective_rf(net: Network, x: torch.Tensor, node: str, channel: int, row: int, col: int,
                 device: str = "cpu") -> np.ndarray:
    """|∂ unit / ∂ input| summed over colour channels: where the unit actually looks, [H,W] (shared: read-only)."""

    def make() -> np.ndarray:
        fx = extractor(net, (node,), device)
        xi = x.to(device).clone().requires_grad_(True)
        with running():
            out = fx(xi)[node]
            out[0, channel, row, col].backward()
        assert xi.grad is not None
        return _frozen(xi.grad[0].abs().sum(0).cpu().numpy())

    return _shared_result(net, ("erf", node, channel, row, col), x, device, make)


def rf_box(info: LayerInfo, row: int, col: int, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """(top, left, bottom, right) in input pixels of a unit's theoretical receptive field, clipped."""
    h, w = size
    if not math.isfinite(info.rf):
        return 0.0, 0.0, h - 1.0, w - 1.0
    half = (info.rf - 1) / 2
    cy, cx = info.start + row * info.jump, info.start + col * info.jump
    return max(cy - half, 0.0), max(cx - half, 0.0), min(cy + half, h - 1.0), min(cx + half, w - 1.0)


def strongest_channels(fmap: np.ndarray, n: int = 5) -> list[int]:
    """The n channels of a [C,H,W] map with the highest mean activation, strongest first — whatever order the
    montage is drawn in."""
    return [int(c) for c in channel_order(fmap, "mean")[:n]]


def channel_order(fmap: np.ndarray, by: str = "index") -> np.ndarray:
    if by == "mean":
        return np.argsort(-fmap.mean(axis=(1, 2)), kind="stable")
    if by == "max":
        return np.argsort(-fmap.max(axis=(1, 2)), kind="stable")
    return np.arange(fmap.shape[0])


def montage(fmap: np.ndarray, order: np.ndarray | None = None, scale: str = "channel", cmap: str = "Viridis",
            diverging: str = "RdBu", min_tile: int = 24, gap: int = 2) -> np.ndarray:
    """Every channel of a [C,H,W] map tiled into one RGB image (one colour scale per channel or per layer)."""
    c, h, w = fmap.shape
    order = np.arange(c) if order is None else order
    cols = math.ceil(math.sqrt(c * h / w))
    rows = math.ceil(c / cols)
    rep = max(1, math.ceil(min_tile / max(h, w)))
    th, tw = h * rep, w * rep
    img = np.full((rows * (th + gap) - gap, cols * (tw + gap) - gap, 3), 255, dtype=np.uint8)
    signed = is_signed(fmap)  # one kind of map for the whole montage: diverging if the layer has signs, else sequential
    if scale == "layer":
        lo, hi, kind = colour_range(fmap, signed)
    for pos, ch in enumerate(order):
        m = fmap[ch]
        if scale == "channel":
            lo, hi, kind = colour_range(m, signed)
        tile = to_rgb(m, diverging if kind == "diverging" else cmap, lo, hi)
        tile = np.repeat(np.repeat(tile, rep, axis=0), rep, axis=1)
        r, q = divmod(pos, cols)
        img[r * (th + gap) : r * (th + gap) + th, q * (tw + gap) : q * (tw + gap) + tw] = tile
    return img
