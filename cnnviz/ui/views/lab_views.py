"""What the labs' pages share (Going deep, Overfitting): a preset picker whose pick fills in the settings of the
preset's first run, with the notes' claim and what to look for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import streamlit as st


class LabPreset(Protocol):
    @property
    def title(self) -> str: ...

    @property
    def claim(self) -> str: ...

    @property
    def look_for(self) -> str: ...

    @property
    def runs(self) -> tuple[Any, ...]: ...


def set_widgets(settings: Mapping[str, tuple[str, Any]], cfg: Any) -> None:
    """Every setting's widget to `cfg`'s value (lists for multi-selections)."""
    for name, (key, _) in settings.items():
        value = getattr(cfg, name)
        st.session_state[key] = list(value) if isinstance(value, tuple) else value


def preset_picker(key: str, presets: Mapping[str, LabPreset], fill: Callable[[Any], None], runs_word: str
                  ) -> Any | None:
    """The preset box (its callback fills the widgets before they are drawn), the claim and what to look for."""
    def picked() -> None:
        chosen = str(st.session_state.get(key) or "")
        if chosen in presets:
            fill(presets[chosen].runs[0])

    st.selectbox("Preset: a claim of the lecture notes, one click", ["", *presets], key=key, on_change=picked,
                 format_func=lambda k: presets[k].title if k else "— your own settings —",
                 help=f"A preset fills in the settings of its first {runs_word}; its button below trains all of its "
                      f"{runs_word}s one after the other, for comparison.")
    preset = presets.get(str(st.session_state.get(key) or ""))
    if preset is not None:
        st.info(f"**The notes:** “{preset.claim}”. **Look for:** {preset.look_for}", icon=":material/science:")
    return preset
