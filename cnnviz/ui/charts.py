"""Every plotly chart of the app goes through `chart`: projected, its text is made legible from the back of a room.

Streamlit's chart theme sets its own small tick and legend fonts (about 11 px), which win over a
figure's general font size; in presentation mode they are set explicitly instead.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from cnnviz.ui.settings import current

PROJECTED_MIN_PX = 16  # chart text when projected (ticks, legends); a grid's numbers: figures.PROJECTED_DIGITS


def legible(fig: go.Figure, size: int = PROJECTED_MIN_PX) -> go.Figure:
    """Raise every axis, legend, colour-bar and annotation font of `fig` to at least `size` px."""
    fig.update_xaxes(tickfont_size=size, title_font_size=size + 2)
    fig.update_yaxes(tickfont_size=size, title_font_size=size + 2)
    fig.update_layout(legend_font_size=size, hoverlabel_font_size=size,
                      font_size=max(fig.layout.font.size or 0, size))
    for trace in fig.data:
        bar = getattr(trace, "colorbar", None)
        if bar is not None and (bar.tickfont.size or 0) < size:
            bar.tickfont.size = size
        font = getattr(trace, "textfont", None)
        if font is not None and font.size is not None and not isinstance(font.size, (list, tuple)) and font.size < size:
            font.size = size
    for a in fig.layout.annotations:
        if (a.font.size or 0) < size:
            a.font.size = size
    return fig


def chart(*args: Any, **kwargs: Any) -> Any:
    """st.plotly_chart (or `where.plotly_chart` when the first argument is a container), legible when projected."""
    where = st
    if args and not isinstance(args[0], go.Figure):
        where, args = args[0], args[1:]
    fig = args[0]
    if current().presentation and kwargs.get("theme", "streamlit") is not None:
        if "to_dict" in vars(fig):  # a shared, frozen figure (present.figures.shared_figure): made legible as a copy
            fig = go.Figure(fig.to_dict())
        legible(fig)
    return where.plotly_chart(fig, *args[1:], **kwargs)
