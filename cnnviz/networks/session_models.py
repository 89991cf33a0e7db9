"""Networks that belong to one session: a LeNet-5 trained in the page, a classifier built on your photos.

Each is a Network handle of its own, used by key exactly like the registry's ("lenet5@3f9a0c1e"
instead of "lenet5"), so every page and engine function works with it. The process only keeps
a *weak* reference: the session's state owns the handle, and everything derived from it
(traced graphs, feature extractors, device copies) lives in the handle's own cache, so all of
it is freed when the session ends or replaces its network. Keys are never reused, so nothing
cached under one session's network can be served to another.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from cnnviz.networks.network import SEPARATOR, Network, is_session_model, live_session_networks, lookup
from cnnviz.networks.specs import SPECS, NetworkSpec

if TYPE_CHECKING:  # importing this module must not load torch (the home page lists session networks)
    from torch import nn

__all__ = ["SEPARATOR", "base_of", "is_session_model", "lookup", "register"]


def base_of(name: str) -> str:
    """The registry network a key is built on ("lenet5@3f9a" → "lenet5")."""
    return name.split(SEPARATOR, 1)[0]


def register(base: str | NetworkSpec, model: nn.Module, title: str, labels: tuple[str, ...] | list[str],
             description: str = "") -> Network:
    """Make `model` usable by key for as long as the caller keeps the returned handle.

    `base` names the registry network it is built on, or is a spec of its own (your weights for
    an architecture the registry does not list).
    """
    if isinstance(base, str) and base not in SPECS:
        raise ValueError(f"unknown base model '{base}'")
    spec = SPECS[base] if isinstance(base, str) else base
    if any(p.device.type != "cpu" for p in model.parameters()):
        model = model.cpu()
    if model.training or any(p.requires_grad for p in model.parameters()):
        model.eval().requires_grad_(False)
    net = Network(spec, key=f"{spec.name}{SEPARATOR}{secrets.token_hex(4)}", title=title,
                  description=description, module=model, labels=tuple(labels))
    live_session_networks.add(net)
    return net
