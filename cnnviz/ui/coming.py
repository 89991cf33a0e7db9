"""Pages that a later issue fills: say plainly what is coming, show nothing fake."""

from __future__ import annotations

import streamlit as st

from cnnviz.pagemap import PAGES


def coming_soon(url_path: str, plans: list[str]) -> None:
    info = next(p for p in PAGES if p.url_path == url_path)
    st.title(info.title)
    st.info(f"**Not built yet — coming with issue #{info.issue}.** {info.summary}", icon=":material/construction:")
    st.markdown("**What this page will do**")
    st.markdown("\n".join(f"- {p}" for p in plans))
    st.caption("Until then, the Operations pages work fully: convolution, pooling and activations.")
