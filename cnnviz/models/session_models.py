"""Models that belong to one session: a LeNet-5 trained in the page, a classifier built on your photos.

They are used by name, exactly like the registry's models ("lenet5@3f9a0c1e" instead of
"lenet5"), so every page and engine function that takes a model name works with them. The
process only keeps a *weak* reference: the session's state owns the model, and everything
derived from it (traced graphs, feature extractors, device copies) lives in the model's own
`caches`, so all of it is freed when the session ends or replaces its model. Keys are never
reused, so nothing cached under one session's model can be served to another.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

from cnnviz.errors import ModelUnavailable
from cnnviz.models.registry import MODELS

if TYPE_CHECKING:  # importing this module must not load torch (the home page lists session models)
    from torch import nn

SEPARATOR = "@"


@dataclass(eq=False)
class SessionModel:
    key: str  # "<base>@<token>": what engine functions take as the model name
    base: str  # registry model whose preprocessing, input size and layer grouping apply
    title: str
    description: str
    model: "nn.Module"  # on the CPU, eval mode, frozen; owned by the session
    labels: tuple[str, ...]
    caches: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.RLock = field(default_factory=threading.RLock)


_live: "weakref.WeakValueDictionary[str, SessionModel]" = weakref.WeakValueDictionary()
_live_lock = threading.Lock()


def is_session_model(name: str) -> bool:
    return SEPARATOR in name


def base_of(name: str) -> str:
    """The registry model a name is built on ("lenet5@3f9a" → "lenet5")."""
    return name.split(SEPARATOR, 1)[0]


def register(base: str, model: "nn.Module", title: str, labels: tuple[str, ...] | list[str],
             description: str = "") -> SessionModel:
    """Make `model` usable by name for as long as the caller keeps the returned object."""
    if base not in MODELS:
        raise ValueError(f"unknown base model '{base}'")
    if any(p.device.type != "cpu" for p in model.parameters()):
        model = model.cpu()
    if model.training or any(p.requires_grad for p in model.parameters()):
        model.eval().requires_grad_(False)
    sm = SessionModel(f"{base}{SEPARATOR}{secrets.token_hex(4)}", base, title, description, model, tuple(labels))
    with _live_lock:
        _live[sm.key] = sm
    return sm


def lookup(name: str) -> SessionModel:
    with _live_lock:
        sm = _live.get(name)
    if sm is None:
        raise ModelUnavailable("these weights belonged to a session that has ended or replaced them: "
                               "train again, or pick a pretrained model")
    return sm

