"""Exports that take a while: a GIF of a whole pass, with its size told before and progress while it is made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from PIL import Image

from cnnviz.jobs import HEAVY
from cnnviz.present.render import gif_bytes, gif_frames

LATER_FRAME_SHARE = 0.5  # measured on the grid pages: each frame after the first adds 0.47–0.55 of the first's bytes


def exports_held() -> bool:
    """While any value of the stepped result is held back (predict first, a class question), its exports would
    give the answers away: one line says so, and the view leaves them out."""
    from cnnviz.present.figures import results_held

    if not results_held():
        return False
    st.caption("Exports (CSV, PNG, GIF, slide) wait until the answers are revealed: they would show them.")
    return True


def estimate_gif_bytes(n_steps: int, frame: Callable[[int], Image.Image], ms: int) -> int:
    """Size of the whole GIF from its first frame alone (one render, a few tens of milliseconds)."""
    n = len(gif_frames(n_steps))
    one = len(gif_bytes(1, frame, ms))
    return int(one * (1 + LATER_FRAME_SHARE * (n - 1)))


def gif_export(label: str, key: str, signature: object, n_steps: int, frame: Callable[[int], Image.Image],
               ms: int, file_name: str) -> None:
    """'Make the GIF' (frames and estimated size on the button), a progress bar while it is made — any click stops
    it — then its download. Made once per view (signature); a heavy job, queued like the others."""
    made = st.session_state.get(f"_gif_{key}")
    if made is not None and made[0] == signature:
        _download(label, key, made[1], file_name)
        return
    estimate = st.session_state.get(f"_gif_est_{key}")
    if estimate is None or estimate[0] != signature:
        estimate = (signature, estimate_gif_bytes(n_steps, frame, ms))
        st.session_state[f"_gif_est_{key}"] = estimate
    n = len(gif_frames(n_steps))
    if st.button(f"{label} (≈ {estimate[1] / 2**20:.1f} MB)", key=f"{key}_make", icon=":material/animation:",
                 help=f"{n} frames, about {estimate[1] / 2**20:.1f} MB: made when you press this, with a progress "
                      "bar (any click stops it), then offered for download"):
        bar = st.progress(0.0, text="Waiting for a free slot…")
        with HEAVY.slot(f"GIF {file_name}"):
            data = gif_bytes(n_steps, frame, ms, on_frame=lambda k, total: bar.progress(
                k / total, text=f"frame {k} of {total} · any click stops it"))
        st.session_state[f"_gif_{key}"] = (signature, data)
        bar.empty()
        _download(label, key, data, file_name)


def _download(label: str, key: str, data: bytes, file_name: str) -> None:
    st.download_button(f"{label} ({len(data) / 2**20:.1f} MB)", data, file_name=file_name, mime="image/gif",
                       icon=":material/animation:", key=f"{key}_download")


def slide_button(title: str, view: Callable[[], Any], lines: Callable[[], list[str]], file_name: str,
                 key: str) -> None:
    """'This step as a slide': a 1920×1080 PNG of the step view with the page's title and the numbers.

    Drawn only when asked for (Streamlit calls the data function on click).
    """
    from cnnviz.present.render import png_bytes, slide

    st.download_button("This step as a slide", lambda: png_bytes(slide(view(), title, lines())),
                       file_name=file_name, mime="image/png", icon=":material/slideshow:", key=key,
                       help="A 1920×1080 PNG of this step — the grids, the arithmetic and the page's title — for "
                            "lecture slides and notes.")
