"""The Network handle: one object per network, resolved once and shared, that pages, CLI and engine pass around.

A handle carries the network's spec (title, weights source, preprocessing, labels, layer
grouping), its shared frozen module per device, and everything derived from it (traced
graph, inspectable layers, feature extractors, rule graphs) in its own bounded cache.

Registry networks have one handle per process; a network trained in a session is a handle
of its own (key "<base>@<token>") that the session owns, so everything derived from it is
freed with it.

Concurrency (a class of 30 shares one process):
- torch.fx tracing patches process-wide state, so traces and runs are kept apart (cnnviz.networks.tracing);
- builds lock per key: two networks (or two layers of one) build in parallel, the same
  thing is built once while the others wait for it; a failed build stores nothing;
- the shared module is checked for hooks, training mode and trainable parameters each
  time it is handed out: one left in that state is rejected and rebuilt, never served.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from cnnviz.caching import KeyedCache
from cnnviz.errors import ModelUnavailable
from cnnviz.networks.preprocess import Preprocess
from cnnviz.networks.specs import SPECS, NetworkSpec

if TYPE_CHECKING:  # importing this module must not load torch (the home page lists networks)
    import numpy as np
    import torch
    from torch import nn

    from cnnviz.networks.probe import LayerInfo
    from cnnviz.networks.registry import WeightStatus

T = TypeVar("T")
log = logging.getLogger(__name__)

MEMO_SIZE = 96  # derived values per network: every layer's extractor and rule graph of a big one, not unbounded


def has_leftover_state(module: nn.Module) -> str | None:
    """Why a shared module may not be served (hooks, training mode, trainable parameters), or None."""
    for name, m in module.named_modules():
        if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks:
            return f"hooks left on '{name or 'the model'}'"
        if m.training:
            return f"'{name or 'the model'}' is in training mode"
    if any(p.requires_grad for p in module.parameters()):
        return "trainable parameters"
    return None


class Network:
    """One network: its spec, shared module per device, labels, preprocessing, layers and derived graphs."""

    def __init__(self, spec: NetworkSpec, *, key: str | None = None, title: str | None = None,
                 description: str | None = None, module: nn.Module | None = None,
                 labels: tuple[str, ...] | None = None) -> None:
        self.spec = spec
        self.key = key or spec.name  # what URLs, caches and session stores call it
        self._title = title
        self._description = description
        self._own_module = module  # a session's network: the module it trained (on the CPU)
        self._labels = tuple(labels) if labels is not None else None
        self.cache = KeyedCache(MEMO_SIZE)
        self._modules = KeyedCache(8)  # one shared instance per device

    # ---- identity and facts --------------------------------------------------------------
    @property
    def base(self) -> str:
        """The registry network whose preprocessing, input size and layer grouping apply."""
        return self.spec.name

    @property
    def is_session(self) -> bool:
        return self._own_module is not None

    @property
    def link_name(self) -> str | None:
        """What a shared link may call it: a registry network's name; None for a session's own network."""
        return None if self.is_session else self.spec.name

    @property
    def title(self) -> str:
        return self._title or self.spec.title

    @property
    def description(self) -> str:
        return self._description if self._description is not None else self.spec.description

    @property
    def takes_digits(self) -> bool:
        """A digit network (LeNet-5 and what was trained from it): pages offer digits, not photos, and no fantasy
        images (its classes are digits drawn on a blank page)."""
        return self.spec.input_kind == "digits"

    @property
    def input_size(self) -> tuple[int, int, int]:
        return self.spec.input_size

    @property
    def preprocessing(self) -> Preprocess:
        return self.spec.preprocess

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return self._labels if self._labels is not None else self.spec.labels()

    def preprocess(self, rgb: np.ndarray, fit: str = "own") -> torch.Tensor:
        """A photo (H×W×3 uint8) as the 1×C×H×W tensor this network takes (fit: see preprocess.FITS)."""
        return self.spec.preprocess.fitted(fit).tensor(rgb)

    def status(self) -> WeightStatus:
        from cnnviz.networks import registry

        if self.is_session:
            return registry.WeightStatus(self.key, registry.READY, "", "trained in this session")
        return registry.weight_status(self.spec.name)

    @property
    def available(self) -> bool:
        from cnnviz.networks import registry

        return self.status().state != registry.MISSING

    # ---- the shared module ---------------------------------------------------------------
    def module(self, device: str = "cpu") -> nn.Module:
        """The process-wide frozen instance on `device`: built once, never modified, checked each time it is served."""
        device = str(device)
        if self.is_session and device == "cpu":
            return self._own_module  # type: ignore[return-value]
        model = self._modules.get(device, lambda: self._build(device))
        problem = has_leftover_state(model)
        if problem:  # someone broke the contract: never serve it, build a clean one
            log.error("shared model %s on %s rejected (%s): rebuilt", self.key, device, problem)
            self._modules.discard(device)
            self.cache.clear()
            model = self._modules.get(device, lambda: self._build(device))
        return model

    def _build(self, device: str) -> nn.Module:
        if self.is_session:
            import copy

            return copy.deepcopy(self._own_module).to(device)  # type: ignore[union-attr]
        from cnnviz.networks.registry import build

        return build(self.spec.name).to(device)

    @property
    def model(self) -> nn.Module:
        """The module on the CPU (a session's network: the one it trained)."""
        return self.module("cpu")

    def memo(self, key: tuple, make: Callable[[], T]) -> T:
        """A value derived from this network (a traced graph, an extractor…), made once and kept with it."""
        return self.cache.get(key, make)

    # ---- layers --------------------------------------------------------------------------
    def layers(self) -> tuple[LayerInfo, ...]:
        """Inspectable layers, with shapes, receptive fields and readable groups (traced once)."""
        from cnnviz.networks import probe

        return probe.layers(self)

    @property
    def output_node(self) -> str:
        """The node whose output the network returns (its logits), as `extractor` names it."""
        from cnnviz.networks import probe

        return probe.output_node(self)

    @property
    def default_cam_layer(self) -> str:
        """The last spatial layer, where Grad-CAM and its family look by default."""
        from cnnviz.networks import probe

        return probe.default_cam_layer(self)

    def extractor(self, nodes: tuple[str, ...], device: str = "cpu") -> nn.Module:
        """A graph module returning {node: output} for these layers (made once per nodes and device)."""
        from cnnviz.networks import probe

        return probe.extractor(self, tuple(nodes), device)

    def layer(self, node: str) -> LayerInfo:
        for info in self.layers():
            if info.node == node:
                return info
        raise KeyError(f"{self.key} has no inspectable layer '{node}'")

    def __repr__(self) -> str:
        return f"Network({self.key!r})"


_handles: dict[str, Network] = {}
_handles_lock = threading.Lock()
SEPARATOR = "@"  # a session's own network: "lenet5@3f9a0c1e" (session_models.register makes them)


def is_session_model(name: str) -> bool:
    return SEPARATOR in name


class _SessionNetworks:
    """The session networks alive now, by key: held weakly (the session's state owns each handle)."""

    def __init__(self) -> None:
        self._live: weakref.WeakValueDictionary[str, Network] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()

    def add(self, net: Network) -> None:
        with self._lock:
            self._live[net.key] = net

    def get(self, key: str) -> Network | None:
        with self._lock:
            return self._live.get(key)


live_session_networks = _SessionNetworks()


def lookup(name: str) -> Network:
    """A session network by key, or why it is gone, in words."""
    net = live_session_networks.get(name)
    if net is None:
        raise ModelUnavailable("these weights belonged to a session that has ended or replaced them: "
                               "train again, or pick a pretrained model")
    return net


def get(net: str) -> Network:
    """The handle for a network name (registry or session key): resolved once, at the edge (the CLI, the page's
    model picker); the engine takes the handle. (Given a handle, it is returned as it is.)"""
    if isinstance(net, Network):
        return net
    if is_session_model(net):
        return lookup(net)
    if net not in SPECS:
        raise ModelUnavailable(f"unknown model '{net}': choose from {', '.join(SPECS)}")
    with _handles_lock:
        handle = _handles.get(net)
        if handle is None:
            handle = _handles[net] = Network(SPECS[net])
        return handle


def all_networks() -> list[Network]:
    """Every registry network's handle, in the spec table's order."""
    return [get(name) for name in SPECS]


def forget(name: str) -> None:
    """Drop a registry network's handle (its shared modules and derived graphs): tests swap weights this way."""
    from cnnviz.networks import probe

    with _handles_lock:
        _handles.pop(name, None)
    probe.forget_results(name)
