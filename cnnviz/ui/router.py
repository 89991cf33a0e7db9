"""Make every page run through app.py's st.navigation, even on a deep link after a restart.

Streamlit keeps a process-wide "pages/ directory" flag that is only cleared once the
entry script calls st.navigation. If the first request after the server starts is a
deep link (say /convolution), Streamlit runs pages/convolution.py on its own — no
sidebar settings, the folder listing as navigation. Each page calls `through_router()`
first: in that case it clears the flag and reruns, and app.py then routes to the same
page (its url_path hashes to the same page id).
"""

from __future__ import annotations

import streamlit as st


def through_router() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the v1 pages machinery
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
