"""Figures of the detection pages: boxes on a canvas, anchors at a position, RoI bins and samples on a feature map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, get_style, grid_figure

# Okabe–Ito: distinguishable with every common colour-vision deficiency
KEPT, CURRENT, SUPPRESSED, WAITING, INTERSECTION = "#009E73", "#0072B2", "#D55E00", "#999999", "#E69F00"


def boxes_figure(boxes: Sequence[tuple[Sequence[float], str, str, bool]], extent: tuple[float, float],
                 sty: Style | None = None, shaded: Sequence[float] | None = None, height: int = 420) -> go.Figure:
    """Boxes [x1, y1, x2, y2] on a W×H canvas (y down, like an image): (box, colour, label, dashed) each."""
    sty = sty or get_style(False)
    w, h = extent
    fig = go.Figure()
    lw = 4 if sty.presentation else 2.5
    if shaded is not None:
        x1, y1, x2, y2 = shaded
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, fillcolor=INTERSECTION, opacity=0.45, line_width=0)
    for box, colour, label, dashed in boxes:
        x1, y1, x2, y2 = box
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line={"color": colour, "width": lw,
                                                                    "dash": "dash" if dashed else "solid"})
        if label:
            fig.add_annotation(x=x1, y=y1, text=label, showarrow=False, xanchor="left", yanchor="bottom",
                               font={"size": sty.font_size - 2, "color": colour}, bgcolor="rgba(255,255,255,0.8)")
    fig.update_layout(height=height, margin={"l": 40, "r": 10, "t": 20, "b": 30}, font={"size": sty.font_size},
                      plot_bgcolor="#FFFFFF", showlegend=False,
                      xaxis={"range": [0, w], "showgrid": True, "gridcolor": "#E5E5E5", "zeroline": False,
                             "side": "top", "constrain": "domain"},
                      yaxis={"range": [h, 0], "showgrid": True, "gridcolor": "#E5E5E5", "zeroline": False,
                             "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"})
    return fig


def roi_figure(fmap: np.ndarray, box_on_map: tuple[float, float, float, float], cells: list[tuple[int, int]],
               samples: list[tuple[float, float]], output: np.ndarray, current: tuple[int, int],
               sty: Style | None = None) -> go.Figure:
    """The feature map with the box (on the map's scale), the current bin's cells or samples, and the output."""
    sty = sty or get_style(False)
    fig = grid_figure([Panel("feature map (channel 0)", fmap, fills=[(cells, sty.window_colour)]),
                       Panel("output", output, outlines=[([current], sty.target_colour)])], sty)
    x1, y1, x2, y2 = box_on_map  # map coordinates: pixel i spans [i, i + 1); plotted cells are centred on i
    fig.add_shape(type="rect", xref="x", yref="y", x0=x1 - 0.5, y0=y1 - 0.5, x1=x2 - 0.5, y1=y2 - 0.5,
                  line={"color": CURRENT, "width": 3, "dash": "dash"})
    if samples:
        fig.add_trace(go.Scatter(x=[s[1] - 0.5 for s in samples], y=[s[0] - 0.5 for s in samples], mode="markers",
                                 xaxis="x", yaxis="y", marker={"size": 12, "color": SUPPRESSED, "symbol": "x",
                                                               "line": {"width": 1, "color": "#000"}},
                                 hovertemplate="sample at (y %{y:.2f}+0.5, x %{x:.2f}+0.5)<extra></extra>"))
    return fig
