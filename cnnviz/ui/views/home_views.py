"""The Home page's state and its environment panel (PyTorch loads in the background, after the page is drawn)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from cnnviz.ui.background import environment_if_started, start_environment
from cnnviz.ui.page import PageState
from cnnviz.ui.tables import data_table


@dataclass(kw_only=True, eq=False)
class HomeState(PageState):
    """Home has no settings of its own (no link); it keeps whether its environment check has ticked once."""

    name: str = "home"
    env_tick: bool = False  # the waiting fragment has drawn once: its next tick may start loading PyTorch


def environment_panel(store: HomeState, device: str) -> None:
    """The device, the package versions and every network's weights, once the background check is done; until
    then a note, and a fragment that starts the check on its first timer tick (the page never waits for it)."""
    future = environment_if_started(device)
    if future is not None and future.done():
        try:
            _render_environment(future.result())
        except Exception as e:  # noqa: BLE001 - the panel must never take the page down
            st.error(f"Could not inspect the environment: {e}")
        return

    @st.fragment(run_every=0.5)
    def _wait_for_environment() -> None:
        if store.env_tick:
            fut = start_environment(device)
            if fut.done():
                st.rerun()
        store.env_tick = True
        st.info("Checking the environment (loading PyTorch)…", icon=":material/hourglass_top:")

    store.env_tick = False
    _wait_for_environment()


def _render_environment(info: dict) -> None:
    d = info["device"]
    c1, c2 = st.columns(2)
    with c1:
        st.metric("Device in use", d["name"])
        if d["notice"]:
            st.warning(d["notice"])
        st.caption(f"Device setting: {d['choice']} · CUDA available: {'yes' if d['cuda_available'] else 'no'}")
    with c2:
        data_table(pd.DataFrame({"package": ["python", *info["versions"]],
                                   "version": [info["python"], *info["versions"].values()]}),
                     hide_index=True, width="stretch")
    icons = {"ready offline": "✅ ready offline", "cached": "✅ cached", "missing": "⬇️ missing"}
    data_table(pd.DataFrame([{"model": m["title"], "name": m["model"], "weights": icons[m["status"]],
                                "parameters": f"{m['parameters']:,}",
                                "ImageNet top-1": "—" if m["imagenet_top1"] is None else f"{m['imagenet_top1']:.1f} %",
                                "source": m["detail"], "licence": m["licence"], "how to get it": m["how_to_get"] or "—"}
                               for m in info["models"]]), hide_index=True, width="stretch")
    from cnnviz.ui.model_choice import this_session

    mine = this_session()
    if mine:
        st.markdown("**Your networks in this session** (trained or loaded; offered, marked ★, on Networks on your "
                    "photo, Attributions and Fantasy images until the session ends):\n" + "\n".join(f"- {sm.title}" for sm in mine))
