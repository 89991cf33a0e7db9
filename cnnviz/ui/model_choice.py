"""Which networks a page offers, and the picker that hands the page a Network handle.

The registry's networks come first, then the ones trained in this session. A session keeps
at most one network per slot ("lenet": the LeNet-5 trained live, "classifier": a
transfer-learned classifier). The session's state holds the only strong reference, so
replacing a network or ending the session frees it and everything derived from it (see
cnnviz.networks.session_models).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.networks.network import Network, all_networks

_KEY = "_session_models"
_ADOPTED = "_adopted_model"


def adopt(slot: str, net: Network) -> None:
    """Offer `net` on the network pages for the rest of this session (replacing the slot's last one)."""
    st.session_state.setdefault(_KEY, {})[slot] = net
    st.session_state[_ADOPTED] = net.key


def adopted(slot: str) -> Network | None:
    return st.session_state.get(_KEY, {}).get(slot)


def this_session() -> list[Network]:
    """The networks this session trained and chose to use."""
    return list(st.session_state.get(_KEY, {}).values())


def network_title(net: Network) -> str:
    """How a picker names a network: ★ for this session's, a note where the weights are missing."""
    if net.is_session:
        return f"★ {net.title}"
    return net.title + ("" if net.available else " — not downloaded yet")


def offered(accept: Callable[[Network], bool] = lambda net: True, available_only: bool = False) -> list[Network]:
    """Registry networks (those whose weights are here, if `available_only`), then this session's, filtered."""
    pretrained = [n for n in all_networks() if accept(n) and (n.available or not available_only)]
    return pretrained + [n for n in this_session() if accept(n)]


def current_key(store: dict, options: list[str], default: str) -> str:
    """The network a page should show: one adopted since its last visit, else its last choice, else `default`."""
    fresh = st.session_state.get(_ADOPTED)
    if fresh and fresh in options and store.get("_adopted_seen") != fresh:
        store["model"] = fresh
    store["_adopted_seen"] = fresh
    if store.get("model") not in options:
        store["model"] = default if default in options else options[0]
    return store["model"]


def pick_network(container, store: dict, key: str, help: str, accept: Callable[[Network], bool] = lambda net: True,
                 available_only: bool = False, default: str = "efficientnet_lite0") -> Network:
    """The page's model select box: starts on `current_key`, remembers the choice in `store`, returns the handle.

    Titles are worked out here, in the script run: a format function reading session state
    would be called outside it (AppTest formats options after the run).
    """
    nets = {n.key: n for n in offered(accept, available_only)}
    options = list(nets)
    titles = {k: network_title(n) for k, n in nets.items()}
    wanted = current_key(store, options, default)
    if st.session_state.get(key, wanted) != wanted:  # a network adopted since the last run: the box follows it
        st.session_state[key] = wanted
    chosen = container.selectbox("Model", options, index=options.index(wanted),
                                 format_func=titles.__getitem__, key=key, help=help)
    store["model"] = chosen
    return nets[chosen]
