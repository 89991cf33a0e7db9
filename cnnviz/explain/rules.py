"""Guided backprop's and deconvnet's rules at every rectifier, on a traced copy of a network.

captum's GuidedBackprop/Deconvolution only hook `nn.ReLU` modules, so EfficientNet's ReLU6,
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

import torch
import torch.nn.functional as F
from torch import nn
from torch.fx import GraphModule

from cnnviz.networks.network import Network
from cnnviz.networks.probe import LEAVES, extractor, project_tracer
from cnnviz.networks.tracing import tracing


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


def unit_model(net: Network, layer: str, rule: str | None, device: str) -> nn.Module:
    """The network cut at `layer` (a feature-extraction graph), with rectifier rules if asked."""
    fx = extractor(net, (layer,), str(device))
    if not rule:
        return fx
    return net.memo(("unit-rule", layer, rule, str(device)), lambda: with_rule(fx, rule, tuple(LEAVES)))


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
