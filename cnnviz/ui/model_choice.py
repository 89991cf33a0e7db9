"""Which models a page offers: the registry's, plus the ones trained in this session.

A session keeps at most one model per slot ("lenet": the LeNet-5 trained live,
"classifier": a transfer-learned classifier). The session's state holds the only strong
reference, so replacing a model or ending the session frees it and everything derived
from it (see cnnviz.models.session_models).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.models import registry
from cnnviz.models.session_models import SessionModel, is_session_model

_KEY = "_session_models"
_ADOPTED = "_adopted_model"


def adopt(slot: str, sm: SessionModel) -> None:
    """Offer `sm` on the network pages for the rest of this session (replacing the slot's last one)."""
    st.session_state.setdefault(_KEY, {})[slot] = sm
    st.session_state[_ADOPTED] = sm.key


def adopted(slot: str) -> SessionModel | None:
    return st.session_state.get(_KEY, {}).get(slot)


def this_session() -> list[SessionModel]:
    """The models this session trained and chose to use."""
    return list(st.session_state.get(_KEY, {}).values())


def model_options(registry_names: list[str], accept: Callable[[str], bool] = lambda base: True) -> list[str]:
    """Registry names, then this session's models whose base model passes `accept`."""
    return list(registry_names) + [sm.key for sm in this_session() if accept(sm.base)]


def session_model(name: str) -> SessionModel | None:
    """This session's model called `name`, or None (a registry model, or one replaced since)."""
    return next((sm for sm in this_session() if sm.key == name), None)


def model_title(name: str) -> str:
    if is_session_model(name):
        sm = session_model(name)
        return f"★ {sm.title}" if sm else "(replaced)"
    return registry.MODELS[name].title


def current_model(store: dict, options: list[str], default: str) -> str:
    """The model a page should show: a model adopted since its last visit, else its last choice, else `default`."""
    fresh = st.session_state.get(_ADOPTED)
    if fresh and fresh in options and store.get("_adopted_seen") != fresh:
        store["model"] = fresh
    store["_adopted_seen"] = fresh
    if store.get("model") not in options:
        store["model"] = default if default in options else options[0]
    return store["model"]


def pick_model(container, options: list[str], store: dict, key: str, help: str,
               title: Callable[[str], str] = model_title, default: str = "efficientnet_lite0") -> str:
    """The page's model select box: starts on `current_model`, shows titles, remembers the choice in `store`.

    Titles are worked out here, in the script run: a format function reading session state
    would be called outside it (AppTest formats options after the run).
    """
    titles = {n: title(n) for n in options}
    chosen = container.selectbox("Model", options, index=options.index(current_model(store, options, default)),
                                 format_func=titles.__getitem__, key=key, help=help)
    store["model"] = chosen
    return chosen
