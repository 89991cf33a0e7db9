"""Work started off the page's critical path and shared by every session of the process."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from cnnviz.environment import full_info


@st.cache_resource(show_spinner=False)
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnnviz-background")


@st.cache_resource(show_spinner=False, ttl=60)
def environment_future(device: str) -> Future:
    """full_info() imports torch and torchvision (seconds): run it once, in the background.

    A one-minute TTL lets weights downloaded meanwhile show up as cached.
    """
    return _executor().submit(full_info, device)


def environment_if_started(device: str) -> Future | None:
    """The future if some session already started it (no work is started here)."""
    return _started.get(device)


_started: dict[str, Future] = {}


def start_environment(device: str) -> Future:
    fut = environment_future(device)
    _started[device] = fut
    return fut
