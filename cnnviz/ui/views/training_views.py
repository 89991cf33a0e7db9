"""The Training page's state: its link carries LeNet-5's settings and the transfer-learning settings (never the
photos); the runs themselves are the learner's own (kept while following: see cnnviz.ui.session)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from cnnviz.learn.training import LIMITS
from cnnviz.learn.transfer import BACKBONES, available_backbones
from cnnviz.learn.transfer import LIMITS as TRANSFER_LIMITS
from cnnviz.ui.page import PageState, Parser
from cnnviz.urlstate import choice, flag, int_in, number_in


def _backbone(t: str) -> str:
    if t not in BACKBONES:
        raise ValueError(f"must be one of {', '.join(BACKBONES)}")
    if t not in available_backbones():
        raise ValueError("its weights are not on this machine")
    return t


def _name(t: str) -> str:
    if not 1 <= len(t.strip()) <= 40:
        raise ValueError("a class name is 1–40 characters")
    return t.strip()


TRAINING_TABS = ("LeNet-5, live", "Transfer learning on your photos")
LINK: dict[str, tuple[str, Any]] = {
    "tab": ("tr_tab", choice(TRAINING_TABS)),  # the tab a learner is on
    # LeNet-5, live
    "opt": ("tr_opt", choice(("adam", "sgd"))), "lr": ("tr_lr", number_in(*LIMITS["lr"])),
    "batch": ("tr_batch", int_in(*LIMITS["batch_size"])), "epochs": ("tr_epochs", int_in(1, LIMITS["epochs"])),
    "wd": ("tr_wd", number_in(0, 0.1)), "dropout": ("tr_dropout", number_in(0, 0.8)),
    "act": ("tr_act", choice(("relu", "tanh", "sigmoid"))), "pool": ("tr_pool", choice(("max", "avg"))),
    "sched": ("tr_sched", choice(("cosine", "constant"))), "aug": ("tr_aug", flag),
    "seed": ("tr_seed", int_in(0, 10_000)),
    # transfer learning (the demo set or your photos; photos never travel in a link)
    "tl_data": ("tl_source", choice(("demo", "mine"))), "tl_n": ("tl_ndemo", int_in(4, 24)),
    "tl_strategy": ("tl_strategy", choice(("head", "last-k", "all"))), "tl_epochs": ("tl_epochs", int_in(1, TRANSFER_LIMITS["epochs"])),
    "tl_lr": ("tl_lr", number_in(1e-5, 1e-1)), "tl_compare": ("tl_compare", flag),
    "tl_bb": ("tl_backbone", _backbone), "tl_classes": ("tl_nclasses", int_in(*TRANSFER_LIMITS["classes"])),
    **{f"tl_name{c + 1}": (f"tl_name_{c}", _name) for c in range(TRANSFER_LIMITS["classes"][1])},
    **{f"tl_k_{bb}": (f"tl_k_{bb}", int_in(1, 64)) for bb in BACKBONES},  # k blocks, per backbone
}



@dataclass(kw_only=True, eq=False)
class TrainingState(PageState):
    """Every setting of the page is a widget its link starts (`WIDGETS`); the transfer tab keeps the photos decoded,
    the backbone features computed, and the last run's results as shown (the runs themselves are the learner's own,
    outside the page state: following a teacher replaces this state and leaves them running)."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = LINK

    name: str = "training"
    photos: dict[str, Any] = field(default_factory=dict)  # upload id → decoded photo
    features: dict[Any, Any] = field(default_factory=dict)  # backbone features of the photos, shared by runs
    shown_run: Any = None  # the transfer run whose results are below
    notice: str | None = None  # how that run ended, when it stopped early
    results: dict[str, Any] | None = None
