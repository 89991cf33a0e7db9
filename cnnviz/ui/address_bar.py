"""The address bar: the one writer of the page's link (`st.query_params`), so that what a link says is decided in
one place — a page's `publish`, a stepper's step, the settings, predict mode and the class code all go through it."""

from __future__ import annotations

import streamlit as st

FRAGMENT_KEYS = "_fragment_url_keys"  # link keys written from inside fragments (steppers): a page's link keeps them


def set_param(key: str, value: str | None) -> None:
    """Put `key=value` in the link (None: take `key` out); nothing is written when it already says so."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def write_url(params: dict[str, str], keep: tuple[str, ...] = ("present", "device", "class", "predict")) -> None:
    """Make the URL describe the current view: `params`, and of the rest only the keys in `keep` and those the
    page's fragments write themselves."""
    keep = keep + tuple(st.session_state.get(FRAGMENT_KEYS, ()))
    for k in list(st.query_params.keys()):
        if k not in params and k not in keep:
            set_param(k, None)
    for k, v in params.items():
        set_param(k, v)


def keep_fragment_keys(*keys: str) -> None:
    """These link keys are written by a fragment of this page (a page's full-run link must not drop them)."""
    st.session_state.setdefault(FRAGMENT_KEYS, set()).update(keys)
