"""Session keys that outlive the page they are used on, each declared by the module that defines it.

Opening a page afresh from a link (following the teacher, a lesson's next view) drops every page's state so that
the link is read again. What a module declares lasting stays: the person's settings, their class, their score, and
what is their own — networks they trained or loaded (★), their runs (a training in progress stops only when its
owner goes), a classifier they loaded back. A new key is page state unless its module says otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_LASTING: set[str] = set()
CLASS_WIDGETS = "class_"  # the Class panel's widgets (their keys start with it) last too


def lasting(key: str) -> str:
    """Declare `key` as lasting (kept when a page is opened afresh from a link); returns it, to name it once."""
    _LASTING.add(key)
    return key


def is_lasting(key: object) -> bool:
    return key in _LASTING or str(key).startswith(CLASS_WIDGETS)


def lasting_keys() -> frozenset[str]:
    """Every key declared so far (the modules that define keys are imported before their keys can exist)."""
    return frozenset(_LASTING)


RUN_OWNER = lasting("_run_owner")  # the owner every training run of this session shares: runs stop when it goes


def own(key: str, make: Callable[[], T]) -> T:
    """The session's value under `key` (a lasting key), made on first use."""
    import streamlit as st

    if key not in st.session_state:
        st.session_state[key] = make()
    return st.session_state[key]
