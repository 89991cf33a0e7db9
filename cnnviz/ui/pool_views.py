"""Pieces of the Pooling page."""

from __future__ import annotations

import streamlit as st

from cnnviz.grids.pool import PoolResult
from cnnviz.grids.shapes import pool_output_formula


def formulas(result: PoolResult) -> None:
    """The output-size formula per axis with this configuration's numbers, and whether windows overlap."""
    cfg = result.config
    c_, h, w = result.input.shape
    _, oh, ow = result.output.shape
    with st.container(border=True):
        a, b = st.columns(2)
        a.markdown("**Output rows** ⌊(N + 2P − K)/S⌋ + 1")
        a.code(pool_output_formula(h, cfg.window[0], cfg.stride[0], cfg.padding[0]), language=None, wrap_lines=True)
        b.markdown("**Output columns** ⌊(N + 2P − K)/S⌋ + 1")
        b.code(pool_output_formula(w, cfg.window[1], cfg.stride[1], cfg.padding[1]), language=None, wrap_lines=True)
        overlap = cfg.stride[0] < cfg.window[0] or cfg.stride[1] < cfg.window[1]
        st.markdown(f"Input {c_}×{h}×{w} → output {c_}×{oh}×{ow} (depth kept). "
                    + ("Windows **overlap** (stride < window)." if overlap else "Windows do not overlap."))
