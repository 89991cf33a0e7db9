"""Attributions: which input pixels matter for a class or a unit, on every model of the zoo.

Guided backpropagation and deconvnet must apply their rule at *every* rectifier. captum's
GuidedBackprop/Deconvolution only hook `nn.ReLU` modules, so EfficientNet's ReLU6,
GoogLeNet's functional `F.relu` and ResNet's reused in-place ReLU would be missed or
mishandled. Instead, the model is traced with torch.fx into a new graph module (sharing
the frozen parameters) in which every rectifier call — module or function, reused or
not — becomes its own rule-applying module; captum's Saliency on that graph is then the
guided (or deconvnet) gradient. No hook ever touches the shared model, so sessions can
run attributions concurrently.

Rules (g = gradient arriving from above, x = the rectifier's input):
  ReLU   guided: g·[x > 0]·[g > 0]        deconvnet: max(g, 0)
  ReLU6  guided: g·[0 < x < 6]·[g > 0]    deconvnet: max(g, 0)
ReLU6's guided rule keeps its true derivative (0 where it saturates at 6) and then drops
negative gradients, so it is exactly guided backprop's "forward mask × positive gradient".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.errors import CnnvizError
from cnnviz.networks.inspect import LEAVES, extractor, project_tracer
from cnnviz.networks.network import Network
from cnnviz.networks.tracing import runs_networks, tracing

METHODS = ("saliency", "deconvnet", "guided-backprop", "gradcam", "guided-gradcam", "integrated-gradients",
           "occlusion", "smoothgrad", "gradcam++", "layercam", "eigencam", "scorecam")
CAM_LIKE = ("gradcam", "gradcam++", "layercam", "eigencam", "scorecam")  # non-negative maps at one layer, of a class
TITLES = {"saliency": "Saliency (gradient)", "deconvnet": "Deconvnet", "guided-backprop": "Guided backprop",
          "gradcam": "Grad-CAM", "guided-gradcam": "Guided Grad-CAM", "integrated-gradients": "Integrated gradients",
          "occlusion": "Occlusion", "smoothgrad": "SmoothGrad", "gradcam++": "Grad-CAM++", "layercam": "LayerCAM",
          "eigencam": "EigenCAM", "scorecam": "Score-CAM"}
NOTES = {
    "saliency": "|∂ score / ∂ pixel|: how much a tiny change of each pixel would change the score. Noisy; "
                "it shows sensitivity, not evidence.",
    "deconvnet": "Zeiler & Fergus: the gradient with every rectifier passing only positive gradients, whatever its "
                 "forward input. Mostly reconstructs image structure.",
    "guided-backprop": "Springenberg et al.: the gradient masked at each rectifier by both a positive input and a "
                       "positive gradient. Crisp, but largely insensitive to the weights and the class — it "
                       "fails the model- and data-randomisation checks of Adebayo et al. 2018.",
    "gradcam": "Selvaraju et al.: the chosen layer's maps weighted by their average gradient, ReLU applied, "
               "upsampled to the image. Class-discriminative but coarse (the layer's resolution).",
    "guided-gradcam": "Guided backprop × Grad-CAM: fine detail restricted to the class's region; inherits guided "
                      "backprop's insensitivity caveat.",
    "integrated-gradients": "Sundararajan et al.: the gradient integrated along a path from a baseline to the image; "
                            "its values sum to score(image) − score(baseline). Depends on the baseline chosen.",
    "occlusion": "Zeiler & Fergus: the drop of the score when a window of the image is covered. Model-agnostic and "
                 "intuitive, but slow and tied to the window size.",
    "smoothgrad": "Smilkov et al.: saliency averaged over noisy copies of the image; less noise, same meaning.",
    "gradcam++": "Chattopadhay et al.: Grad-CAM with per-pixel weights on the positive gradients, so several "
                 "objects of the class all light up. As coarse as the layer; can spread beyond the object.",
    "layercam": "Jiang et al.: every pixel of every map weighted by its own positive gradient — finer than Grad-CAM "
                "and usable at earlier layers, which are noisier.",
    "eigencam": "Muhammad & Yeasin: the layer's first principal component — no gradients and no class: the same "
                "map whatever class you ask for (it shows what dominates the layer, not the class's evidence).",
    "scorecam": "Wang et al.: each map, used as a mask on the photo, weighted by the class's softmax score on that "
                "masked photo — no gradients, one forward pass per channel (here the 256 most active; slow).",
}


class _GuidedReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, upper: float | None, deconv: bool):
        ctx.save_for_backward(x)
        ctx.upper, ctx.deconv = upper, deconv
        return x.clamp(0, upper) if upper is not None else x.clamp_min(0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.deconv:
            return g.clamp_min(0), None, None
        mask = (x > 0) if ctx.upper is None else ((x > 0) & (x < ctx.upper))
        return g * mask * (g > 0), None, None


def _positive(g: torch.Tensor) -> torch.Tensor:
    return g.clamp_min(0)


class RuleReLU(nn.Module):
    """A rectifier that forwards like ReLU / ReLU6 and backpropagates with a guided or deconvnet rule.

    Guided: the rectifier's own (native) backward already multiplies by its forward mask, so
    a hook on this call's output tensor that keeps only positive gradients completes the
    rule with one extra operation. The hook belongs to the tensor of this forward pass, never
    to a module, so nothing outlives the call.
    """

    def __init__(self, upper: float | None, deconv: bool):
        super().__init__()
        self.upper, self.deconv = upper, deconv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deconv:
            return _GuidedReLU.apply(x, self.upper, True)
        y = F.relu(x) if self.upper is None else F.hardtanh(x, 0.0, self.upper)
        if y.requires_grad:
            y.register_hook(_positive)
        return y


_RELU_FUNCS = {F.relu: None, torch.relu: None, F.relu6: 6.0}


def _rectifier_upper(node, model: nn.Module):
    """(is a rectifier, upper bound) for an FX node."""
    if node.op == "call_module":
        mod = model.get_submodule(node.target)
        if isinstance(mod, nn.ReLU6):
            return True, 6.0
        if isinstance(mod, nn.ReLU):
            return True, None
        if isinstance(mod, nn.Hardtanh) and mod.min_val == 0:
            return True, float(mod.max_val)
    elif node.op == "call_function" and node.target in _RELU_FUNCS:
        return True, _RELU_FUNCS[node.target]
    elif node.op == "call_method" and node.target in ("relu", "relu_"):
        return True, None
    return False, None


def with_rule(model: nn.Module, rule: str, leaves: tuple = ()) -> nn.Module:
    """A graph module computing `model` with every rectifier replaced by `rule` ("guided" | "deconvnet").

    Parameters are shared with `model` (nothing is copied or modified); each rectifier *call*
    gets its own module, so reused modules and functional calls are all covered.
    """
    from torch.fx import GraphModule


    tracer = project_tracer(leaves)
    with tracing():
        graph = tracer.trace(model)
    gm = GraphModule(tracer.root, graph)
    count = 0
    for node in list(gm.graph.nodes):
        is_rect, upper = _rectifier_upper(node, gm)
        if not is_rect:
            continue
        name = f"_rule_relu_{count}"
        count += 1
        gm.add_submodule(name, RuleReLU(upper, rule == "deconvnet"))
        with gm.graph.inserting_after(node):
            new = gm.graph.call_module(name, args=(node.args[0],))
        node.replace_all_uses_with(new)
        gm.graph.erase_node(node)
    gm.graph.lint()
    gm.recompile()
    gm.rectifiers_replaced = count  # type: ignore[assignment]  # read by tests and the page
    return gm.eval()


def rule_model(net: Network, rule: str, device: str = "cpu") -> nn.Module:
    """The network with `rule` at every rectifier, made once per network, rule and device."""

    return net.memo(("rule", rule, str(device)), lambda: with_rule(net.module(device), rule, tuple(LEAVES)))


@dataclass
class Attribution:
    method: str
    values: np.ndarray  # [H, W] signed (summed over colour channels) or CAM in [0, 1]
    target: int
    score: float


def _target_fn(model: nn.Module, target: int):
    return lambda x: model(x)[:, target]


@dataclass(frozen=True)
class UnitTarget:
    """Explain a channel of a layer (its mean) or one unit of it instead of a class score."""

    layer: str
    channel: int
    unit: tuple[int, int] | None = None

    def reduce(self, acts: torch.Tensor) -> torch.Tensor:
        a = acts[:, self.channel]
        if self.unit is None:
            return a.mean(dim=(1, 2))
        return a[:, min(self.unit[0], a.shape[1] - 1), min(self.unit[1], a.shape[2] - 1)]


def _unit_model(net: Network, layer: str, rule: str | None, device: str) -> nn.Module:
    """The network cut at `layer` (a feature-extraction graph), with rectifier rules if asked."""

    fx = extractor(net, (layer,), device)
    if not rule:
        return fx
    return net.memo(("unit-rule", layer, rule, device), lambda: with_rule(fx, rule, tuple(LEAVES)))


@runs_networks
def attribute(net: Network, x: torch.Tensor, method: str, target: int | UnitTarget | None = None, layer: str | None = None,
              device: str = "cpu", baseline: str = "black", steps: int = 32, window: int = 32, stride: int = 16,
              samples: int = 12, noise: float = 0.15, seed: int = 0,
              progress: Callable[[int, int], None] | None = None) -> Attribution:
    """One attribution map for a class (default: the predicted one) or a UnitTarget, at the input's resolution."""
    from captum.attr import IntegratedGradients, Occlusion, Saliency

    if method == "occlusion":
        check_occlusion(x, window, stride)
    if isinstance(target, UnitTarget):
        return _attribute_unit(net, x, method, target, device, baseline, steps, window, stride, samples, noise, seed)
    model = net.module(device)
    x = x.to(device).clone().requires_grad_(True)
    score = float("nan")
    if target is None:  # one extra forward only when the class must be found
        with torch.no_grad():
            logits = model(x)
        target = int(logits.argmax(1))
        score = float(logits[0, target])
    target = int(target)
    if method in ("saliency", "smoothgrad"):
        sal = Saliency(model)
        if method == "saliency":
            a = sal.attribute(x, target=target, abs=True)
        else:
            a = _smoothgrad(sal, x, samples, noise, seed, target=target)
        values = a[0].sum(0)
    elif method in ("guided-backprop", "deconvnet", "guided-gradcam"):
        rm = rule_model(net, "deconvnet" if method == "deconvnet" else "guided", str(device))
        a = Saliency(rm).attribute(x, target=target, abs=False)
        values = a[0].sum(0)
        if method == "guided-gradcam":
            values = values * torch.tensor(gradcam(net, x, target, layer, device), device=values.device)
    elif method == "gradcam":
        values = torch.tensor(gradcam(net, x, target, layer, device))
    elif method in CAM_LIKE:
        from cnnviz.explain.cam import cam

        values = torch.tensor(cam(net, x, target, method, layer, device, progress=progress))
    elif method == "integrated-gradients":
        base = torch.zeros_like(x) if baseline == "zero" else _baseline(net, x, baseline)
        a = IntegratedGradients(model).attribute(x, baselines=base, target=target, n_steps=steps)
        values = a[0].sum(0)
    elif method == "occlusion":
        c = x.shape[1]
        a = Occlusion(model).attribute(x, target=target, sliding_window_shapes=(c, window, window),
                                       strides=(c, stride, stride), baselines=0.0)
        values = a[0].sum(0)
    else:
        raise ValueError(f"unknown method '{method}': use one of {', '.join(METHODS)}")
    return Attribution(method, values.detach().float().cpu().numpy(), target, score)


def check_occlusion(x: torch.Tensor, window: int, stride: int) -> None:
    """Occlusion's window must fit the input (captum asserts otherwise): said in words, with the limit."""
    h, w = int(x.shape[-2]), int(x.shape[-1])
    if not 1 <= window <= min(h, w):
        raise CnnvizError(f"the occlusion window ({window} px) must fit the {h}×{w} input: use 1 to {min(h, w)} px")
    if stride < 1:
        raise CnnvizError(f"the occlusion stride must be at least 1 px (got {stride})")


def _attribute_unit(net: Network, x, method, t: UnitTarget, device, baseline, steps, window, stride, samples, noise,
                    seed) -> Attribution:
    from captum.attr import IntegratedGradients, Occlusion, Saliency

    if method in ("guided-gradcam", *CAM_LIKE):
        raise ValueError(f"{TITLES[method]} explains a class score: choose a class target for it")
    rule = {"guided-backprop": "guided", "deconvnet": "deconvnet"}.get(method)
    cut = _unit_model(net, t.layer, rule, str(device))

    def forward(inp: torch.Tensor) -> torch.Tensor:
        return t.reduce(cut(inp)[t.layer])

    x = x.to(device).clone().requires_grad_(True)
    if method in ("saliency", "guided-backprop", "deconvnet"):
        a = Saliency(forward).attribute(x, abs=method == "saliency")
    elif method == "smoothgrad":
        a = _smoothgrad(Saliency(forward), x, samples, noise, seed)
    elif method == "integrated-gradients":
        base = torch.zeros_like(x) if baseline == "zero" else _baseline(net, x, baseline)
        a = IntegratedGradients(forward).attribute(x, baselines=base, n_steps=steps)
    elif method == "occlusion":
        c = x.shape[1]
        a = Occlusion(forward).attribute(x, sliding_window_shapes=(c, window, window), strides=(c, stride, stride),
                                         baselines=0.0)
    else:
        raise ValueError(f"unknown method '{method}'")
    with torch.no_grad():
        score = float(forward(x)[0])
    return Attribution(method, a[0].sum(0).detach().float().cpu().numpy(), -1, score)


def display_map(values: np.ndarray, method: str, sign: str = "absolute") -> np.ndarray:
    """A map as shown over the picture, in [0, 1]: its positive part, negative part or magnitude (Grad-CAM is
    non-negative by construction), scaled so its 99.5th percentile is 1 (a few extreme pixels would wash out the rest)."""
    if method in CAM_LIKE:
        shown = values
    else:
        shown = {"positive": np.clip(values, 0, None), "negative": np.clip(-values, 0, None),
                 "absolute": np.abs(values)}[sign]
    hi = float(np.percentile(shown, 99.5)) or float(shown.max()) or 1.0
    return np.clip(shown / hi, 0, 1)


def _smoothgrad(sal, x: torch.Tensor, samples: int, noise: float, seed: int, **kw) -> torch.Tensor:
    """Saliency magnitudes averaged over noisy copies (noise σ = `noise` × the input's range).

    The noise comes from a generator seeded per call, so the same seed gives the same map
    whatever other sessions are doing.
    """
    from cnnviz.learn.seeding import noisy_copies

    gen = torch.Generator().manual_seed(seed)
    xs = noisy_copies(x, samples, noise * float(x.detach().max() - x.detach().min()), gen).requires_grad_(True)
    return sal.attribute(xs, abs=True, **kw).mean(0, keepdim=True)


def _baseline(net: Network, x: torch.Tensor, kind: str) -> torch.Tensor:
    """'black' (a black image, preprocessed), 'blur' (a heavily blurred copy) or 'zero' (zeros after preprocessing)."""
    if kind == "blur":
        k = 31
        return F.avg_pool2d(F.pad(x, (k // 2,) * 4, mode="replicate"), k, stride=1)
    black = np.zeros((x.shape[-2], x.shape[-1], 3), dtype=np.uint8)
    return net.preprocess(black).to(x.device) if kind == "black" else torch.zeros_like(x)


def default_cam_layer(net: Network) -> str:
    """The last spatial layer (before global pooling), Grad-CAM's usual choice (the handle's own fact)."""
    return net.default_cam_layer


@runs_networks
def gradcam(net: Network, x: torch.Tensor, target: int, layer: str | None = None, device: str = "cpu") -> np.ndarray:
    """ReLU(Σ_c mean(∂y/∂A_c)·A_c) at `layer`, bilinearly upsampled to the input, scaled to [0, 1].

    Activations and gradients come from a feature-extraction graph that returns both the layer
    and the logits, with torch.autograd.grad — no hooks on the shared model.
    """
    layer = layer or default_cam_layer(net)
    out_node = net.output_node
    fx = extractor(net, (layer, out_node), str(device))
    xi = x.to(device).clone().requires_grad_(True)  # parameters are frozen: the graph starts at the input
    outs = fx(xi)
    acts, logits = outs[layer], outs[out_node]
    grads = torch.autograd.grad(logits[0, target], acts)[0]
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * acts).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max().detach())
    cam = cam / peak if peak > 0 else cam
    return cam.detach().float().cpu().numpy()


def rectifier_count(net: Network) -> int:
    """How many rectifier calls the network makes (counted once per network)."""
    return net.memo(("rectifier-calls",), lambda: count_rectifier_calls(net.module(), tuple(LEAVES)))


def count_rectifier_calls(model: nn.Module, leaves: tuple = ()) -> int:
    """How many rectifier calls a forward pass makes (each becomes a rule module)."""

    tracer = project_tracer(leaves)
    with tracing():
        graph = tracer.trace(model)
    root = tracer.root
    return sum(_rectifier_upper(n, root)[0] for n in graph.nodes)

