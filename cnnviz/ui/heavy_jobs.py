"""Heavy jobs as a learner sees them: "queued — 3 ahead of you", then progress, with a Stop button.

The page's script run waits for a slot of the process-wide queue (cnnviz.jobs.HEAVY). While
it waits it redraws one status line; any Streamlit call can end the wait — pressing Stop,
changing a widget or closing the tab makes Streamlit stop this run at that call — and the
ticket then leaves the queue, so a closed session never holds a place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from cnnviz.jobs import HEAVY

T = TypeVar("T")


def queued_text(ahead: int) -> str:
    return (f"Queued — {ahead} job{'s' if ahead != 1 else ''} ahead of you. The server runs {HEAVY.slots} heavy "
            f"job{'s' if HEAVY.slots != 1 else ''} at a time so that everyone's pages stay quick.")


@contextmanager
def heavy_job(label: str, key: str) -> Iterator[None]:
    """Run the body as a heavy job: queued visibly first, with a Stop button while it waits or runs."""
    box = st.empty()
    waiting = waiting_line(f"{key}_stop_wait", lambda ahead: f"{label}: {queued_text(int(ahead))}",
                           ":material/hourglass_top:", box)

    with HEAVY.slot(label, on_wait=waiting):
        with box.container():
            st.button("Stop", key=f"{key}_stop", icon=":material/stop:",
                      help="Stops this computation (the page keeps what it already showed)")
        try:
            yield
        finally:
            box.empty()


class waiting_line:  # noqa: N801 - used like a function: on_wait=waiting_line(...)
    """An `on_wait` for a waiting loop: the line is redrawn each call (a Streamlit call, so Stop, a rerun or a
    closed tab ends the wait there), the Stop button drawn once (a key may appear once per run). Nothing is drawn
    until the first wait; `clear()` removes the line."""

    def __init__(self, stop_key: str, text: Callable[[float], str], icon: str, box=None) -> None:
        self.stop_key, self.text, self.icon, self.box = stop_key, text, icon, box
        self.line: Any = None

    def __call__(self, value: float) -> None:
        if self.line is None:
            self.box = self.box if self.box is not None else st.empty()
            area = self.box.container()
            self.line = area.empty()
            area.button("Stop", key=self.stop_key, icon=":material/stop:")
        self.line.info(self.text(value), icon=self.icon)

    def clear(self) -> None:
        if self.box is not None:
            self.box.empty()


def shared_once(key: str, make: Callable[[], bytes | None], stop_key: str, text: Callable[[float], str]
                ) -> bytes | None:
    """`make()` once in the class or hall (cnnviz.classroom.results): a learner asking while another makes it
    waits for that one, with `text(seconds waited)` and Stop; a learner asking later gets it at once."""
    from cnnviz.classroom.results import results

    waiting = waiting_line(stop_key, text, ":material/group:")
    try:
        return results().compute_once(key, make, on_wait=waiting)
    finally:
        waiting.clear()


def run_heavy(label: str, key: str, work: Callable[[], T]) -> T | None:
    """`work()` as a heavy job (see heavy_job); None once the learner pressed Stop, until they run it again."""
    stopped = f"{key}_stopped"
    if st.session_state.get(f"{key}_stop") or st.session_state.get(f"{key}_stop_wait"):
        st.session_state[stopped] = True  # this rerun came from a Stop button
    if st.session_state.get(stopped):
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        c1.warning(f"Stopped: {label}.", icon=":material/stop_circle:")
        if c2.button("Run again", key=f"{key}_resume", icon=":material/play_arrow:"):
            st.session_state[stopped] = False
            st.rerun()
        return None
    with heavy_job(label, key):
        return work()


def run_once(label: str, key: str, ready: T | None, work: Callable[[], T]) -> T | None:
    """A result this process already holds, or `work()` queued as a heavy job (with Stop): a slider that only
    filters the result never waits in the queue again."""
    return ready if ready is not None else run_heavy(label, key, work)
