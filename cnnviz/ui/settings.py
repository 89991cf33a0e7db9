"""App-wide settings (presentation mode, device) kept across pages and in the URL.

This module and the rest of cnnviz/ui are the only ones that import Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from cnnviz.devices import DEVICE_CHOICES, cuda_driver_present
from cnnviz.present.colours import Style, style
from cnnviz.ui.address_bar import set_param
from cnnviz.ui.session import lasting

# the person's own settings: kept when a page is opened afresh from a link
PRESENT, DEVICE = lasting("present"), lasting("device")  # the sidebar's widgets
INIT, NOTICES = lasting("_settings_init"), lasting("_settings_notices")  # the link's settings read once, and said

_PRESENT_CSS = """
<style>
/* Projected (1280×720 and up): every text in the main area at least 18 px (charts set their own sizes),
   headings and metrics kept large, every text colour at least 4.5:1 on its background (WCAG AA). */
:root { --cnnviz-presenting: 1; }  /* read by the projector tests: the styles are in place */
html, body, [data-testid="stAppViewContainer"] { font-size: 19px; }
:where([data-testid="stMain"]) :where(:not(svg, svg *)) { font-size: max(18px, 1em) !important; }
[data-testid="stMain"] h1 { font-size: 2.1rem !important; padding: 0.2rem 0 0.4rem 0 !important; }
[data-testid="stMain"] h2 { font-size: 1.7rem !important; }
[data-testid="stMain"] h3 { font-size: 1.4rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.0rem !important; }
[data-testid="stCode"] code { font-weight: 600; }
[data-testid="stMain"] [data-testid="stCaptionContainer"], [data-testid="stMain"] [data-testid="stCaptionContainer"] *,
[data-testid="stMain"] [data-testid="stWidgetLabel"] *, [data-testid="stMain"] small,
[data-testid="stMain"] [data-baseweb="select"] [aria-selected], [data-testid="stMain"] input::placeholder,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] { color: #1F2029 !important; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { opacity: 1 !important; }
[data-testid="stMain"] kbd { color: #1F2029 !important; opacity: 1 !important; }
[data-testid="stMain"] button[kind^="primary"], [data-testid="stMain"] button[kind^="primary"] * { color: #FFFFFF !important; }
[data-testid="stMainMenu"], [data-testid="stDecoration"], footer { display: none !important; }
header[data-testid="stHeader"] { background: transparent !important; height: 2.6rem !important; }
.block-container { padding: 0.6rem 1.5rem 2rem 3.6rem !important; max-width: 100% !important; }
</style>
"""


_AA_CSS = """
<style>
/* Every mode: the few colours Streamlit itself draws below 4.5:1 on their background (WCAG 2.1 AA, checked by axe in
   the browser tests); the theme's near-black text colour (.streamlit/config.toml) covers captions and hints. */
button[kind^="primary"] kbd { color: #FFFFFF !important; opacity: 1 !important; }
[data-testid="stCaptionContainer"] code { color: #111111 !important; }  /* the caption's own 60 % opacity applies */
[data-testid="stCode"] .token.keyword, [data-testid="stCode"] .keyword { color: #0B5394 !important; }
[data-testid="stCode"] .token.comment { color: #545766 !important; }
[data-testid="stCode"] .token.number, [data-testid="stCode"] .token.boolean { color: #0A6558 !important; }
[data-testid="stCode"] .token.string { color: #8A3B00 !important; }
[data-testid="stCode"] .token.function, [data-testid="stCode"] .token.builtin { color: #6A2C91 !important; }
[data-testid="stCode"] .token.operator, [data-testid="stCode"] .token.punctuation { color: #333333 !important; }
</style>
"""


@dataclass(frozen=True)
class Settings:
    presentation: bool = False
    device: str = "auto"

    @property
    def style(self) -> Style:
        return style(self.presentation)


def start(key: str, value: Any, name: str = "value") -> dict[str, Any]:
    """A widget's starting value, as keyword arguments: `{name: value}` on its first run, nothing once the session
    holds its value (put there by a link, a callback or an earlier run) — the session's value wins either way, and
    Streamlit logs a warning with a stack trace when a widget is given both."""
    return {} if key in st.session_state else {name: value}


def device_options() -> list[str]:
    return list(DEVICE_CHOICES) if cuda_driver_present() else ["auto", "cpu"]


def _init_from_url() -> None:
    """First run of a session: take settings from the URL, or fall back with a notice."""
    if INIT in st.session_state:
        return
    st.session_state[INIT] = True
    notices = []
    qp = st.query_params
    present = qp.get("present")
    if present is not None:
        if present in ("1", "true", "0", "false"):
            st.session_state[PRESENT] = present in ("1", "true")
        else:
            notices.append(f"URL parameter present={present!r} is not 0 or 1: presentation mode is off.")
    device = qp.get("device")
    if device is not None:
        if device in device_options():
            st.session_state[DEVICE] = device
        else:
            notices.append(f"URL parameter device={device!r} is not available here: using auto.")
    st.session_state[NOTICES] = notices


def sidebar_settings() -> Settings:
    """Draw the sidebar settings (called by app.py on every run, so they persist; projected, app.py puts the
    predict-mode switch under them)."""
    _init_from_url()
    st.session_state.setdefault(PRESENT, False)
    st.session_state.setdefault(DEVICE, "auto")
    with st.sidebar:
        st.toggle("Presentation mode", key=PRESENT,
                  help="For projectors: larger type, thicker grid lines, high-contrast colour-blind-safe colours, less chrome.")
        st.selectbox("Device", device_options(), key=DEVICE,
                     help="Where networks run. 'auto' uses CUDA when a GPU is present.")
    s = Settings(bool(st.session_state[PRESENT]), str(st.session_state[DEVICE]))
    for n in st.session_state.get(NOTICES, []):
        st.toast(n, icon=":material/info:")
    st.session_state[NOTICES] = []
    st.html(_AA_CSS + (_PRESENT_CSS if s.presentation else ""))
    sync_settings_to_url(s)
    return s


def sync_settings_to_url(s: Settings) -> None:
    for key, val, default in (("present", "1" if s.presentation else "0", "0"), ("device", s.device, "auto")):
        set_param(key, None if val == default else val)


def current() -> Settings:
    """The settings of this run, for pages."""
    return Settings(bool(st.session_state.get("present", False)), str(st.session_state.get("device", "auto")))
