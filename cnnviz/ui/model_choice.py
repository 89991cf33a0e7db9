"""Which networks a page offers, and the picker that hands the page a Network handle.

The registry's networks come first, then the ones trained in this session. A session keeps
at most one network per slot ("lenet": the LeNet-5 trained live, "classifier": a
transfer-learned classifier). The session's state holds the only strong reference, so
replacing a network or ending the session frees it and everything derived from it (see
cnnviz.networks.session_models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from cnnviz.errors import CnnvizError
from cnnviz.networks.network import Network, all_networks
from cnnviz.ui.page import PageState
from cnnviz.ui.session import lasting

_KEY = lasting("_session_models")
_ADOPTED = lasting("_adopted_model")


def adopt(slot: str, net: Network) -> None:
    """Offer `net` on the network pages for the rest of this session (replacing the slot's last one)."""
    st.session_state.setdefault(_KEY, {})[slot] = net
    st.session_state[_ADOPTED] = net.key


def adopt_upload(slot: str, done_key: str, digest: str, spinner: str, load: Callable[[], Network]) -> None:
    """Load an uploaded network once per file (`digest`) and offer it in `slot`; a bad file gets its message and
    nothing changes. The page runs again so that the pickers above offer it."""
    if st.session_state.get(done_key) == digest:
        return
    try:
        with st.spinner(spinner):
            net = load()
    except CnnvizError as e:
        st.error(str(e), icon=":material/error:")
        return
    adopt(slot, net)
    st.session_state[done_key] = digest
    st.rerun()


def adopted(slot: str) -> Network | None:
    return st.session_state.get(_KEY, {}).get(slot)


def this_session() -> list[Network]:
    """The networks this session trained and chose to use."""
    return list(st.session_state.get(_KEY, {}).values())


@dataclass(kw_only=True, eq=False)
class NetworkPageState(PageState):
    """What every page on a real network keeps: the network, the sample photo or held-out digit, and the fit."""

    model: str = "efficientnet_lite0"
    sample: str = "Chelsea the cat"
    digit: int = 0
    fit: str = "own"
    adopted_seen: str | None = None  # the network adopted last (trained or loaded) that the picker has followed

    def network_link(self, net: Network, fit: str) -> dict[str, str]:
        """The network and picture parameters of a link: a registry network (a session's own never travels), the
        sample photo or the digit, and the fit in use when it is not the network's own."""
        return {**({"model": net.link_name} if net.link_name else {}),
                **({"sample": self.sample} if not net.takes_digits else {"digit": str(self.digit)}),
                **({"fit": fit} if fit != "own" else {})}


def network_title(net: Network) -> str:
    """How a picker names a network: ★ for this session's, a note where the weights are missing."""
    if net.is_session:
        return f"★ {net.title}"
    return net.title + ("" if net.available else " — not downloaded yet")


def offered(accept: Callable[[Network], bool] = lambda net: True, available_only: bool = False) -> list[Network]:
    """Registry networks (those whose weights are here, if `available_only`), then this session's, filtered."""
    pretrained = [n for n in all_networks() if accept(n) and (n.available or not available_only)]
    return pretrained + [n for n in this_session() if accept(n)]


def current_key(store: NetworkPageState, options: list[str], default: str) -> str:
    """The network a page should show: one adopted since its last visit, else its last choice, else `default`."""
    fresh = st.session_state.get(_ADOPTED)
    if fresh and fresh in options and store.adopted_seen != fresh:
        store.model = fresh
    store.adopted_seen = fresh
    if store.model not in options:
        store.model = default if default in options else options[0]
    return store.model


def pick_network(container, store: NetworkPageState, key: str, help: str, accept: Callable[[Network], bool] = lambda net: True,
                 available_only: bool = False, default: str = "efficientnet_lite0") -> Network:
    """The page's model select box: starts on `current_key`, remembers the choice in `store`, returns the handle.

    The learner's pick reaches `store` through the box's callback, which Streamlit runs before the script, so the
    script only moves the box when the page's choice changed elsewhere (a link, the teacher, a network adopted
    since the last run) — never back over a pick. Titles are worked out here, in the script run: a format function
    reading session state would be called outside it (AppTest formats options after the run).
    """
    nets = {n.key: n for n in offered(accept, available_only)}
    options = list(nets)
    titles = {k: network_title(n) for k, n in nets.items()}
    wanted = current_key(store, options, default)
    if st.session_state.get(key) != wanted:
        st.session_state[key] = wanted
    container.selectbox("Model", options, format_func=titles.__getitem__, key=key, help=help,
                        on_change=_take_pick, args=(type(store), key))
    return nets[store.model]


def _take_pick(cls: type[NetworkPageState], key: str) -> None:
    """The box's callback: the learner's pick becomes the page's choice (the state looked up now: following the
    teacher may have replaced the one the box was drawn with)."""
    from cnnviz.ui.page import state_of

    state_of(cls).model = st.session_state[key]
