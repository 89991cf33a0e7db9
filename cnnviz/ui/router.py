"""Make every page run through app.py's st.navigation, even when Streamlit starts a page alone.

Streamlit keeps a process-wide "pages/ directory" flag that is only cleared once the
entry script calls st.navigation. While it is set (the first request after the server
starts, if it is a deep link such as /convolution; every run under AppTest), Streamlit
runs pages/<page>.py on its own: no sidebar settings, the folder listing as navigation.
Each page calls `through_router()` first: in that case it clears the flag and runs
app.py in place — its st.navigation resolves the same page (same url_path, same page
id) — then stops the outer run. Running in place, not rerunning, keeps the widget
events of this run (a click would be lost in a rerun).
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parents[2] / "app.py"


def through_router() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the v1 pages machinery
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()
