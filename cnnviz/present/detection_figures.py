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
    """Boxes [x1, y1, x2, y2] on a W×H canvas (y down, like an image): (box, colour, label, dashed) each.

    Shapes and labels go in as one list each: plotly's add_shape revalidates every earlier
    shape, which made 200 boxes take 18 s.
    """
    sty = sty or get_style(False)
    w, h = extent
    fig = go.Figure()
    lw = 4 if sty.presentation else 2.5
    shapes: list[dict] = []
    labels: list[dict] = []
    if shaded is not None:
        x1, y1, x2, y2 = shaded
        shapes.append({"type": "rect", "x0": x1, "y0": y1, "x1": x2, "y1": y2, "fillcolor": INTERSECTION,
                       "opacity": 0.45, "line": {"width": 0}})
    for box, colour, label, dashed in boxes:
        x1, y1, x2, y2 = (float(v) for v in box)
        shapes.append({"type": "rect", "x0": x1, "y0": y1, "x1": x2, "y1": y2,
                       "line": {"color": colour, "width": lw, "dash": "dash" if dashed else "solid"}})
        if label:
            labels.append({"x": x1, "y": y1, "text": label, "showarrow": False, "xanchor": "left",
                           "yanchor": "bottom", "font": {"size": sty.font_size - 2, "color": colour},
                           "bgcolor": "rgba(255,255,255,0.8)"})
    fig.update_layout(shapes=shapes, annotations=labels)
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


def anchors_on_photo_figure(photo: np.ndarray, centres: np.ndarray, picked: np.ndarray, at: tuple[float, float],
                            sty: Style | None = None) -> go.Figure:
    """The photo with a dot at every position of one feature map and the anchors of the picked one.

    The dots are the chart's clickable points (Streamlit's selection needs a trace with points);
    boxes keep their true extent even where they run off the photo.
    """
    sty = sty or get_style(False)
    h, w = photo.shape[:2]
    fig = go.Figure(go.Image(z=np.asarray(photo, dtype=np.uint8), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=centres[:, 0], y=centres[:, 1], mode="markers", name="positions",
                             marker={"size": 6 if sty.presentation else 4, "color": "#FFFFFF", "opacity": 0.5,
                                     "line": {"color": "#000000", "width": 1}},
                             hovertemplate="position at (%{x:.0f}, %{y:.0f}) px: click for its anchors<extra></extra>",
                             selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 0.5}}))
    lw = 3 if sty.presentation else 2
    for x1, y1, x2, y2 in picked:
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line={"color": INTERSECTION, "width": lw})
    fig.add_trace(go.Scatter(x=[at[0]], y=[at[1]], mode="markers", hoverinfo="skip", name="picked",
                             marker={"size": 16, "color": CURRENT, "symbol": "x", "line": {"color": "#FFFFFF",
                                                                                            "width": 2}}))
    fig.update_layout(height=560 if sty.presentation else 480, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      showlegend=False, clickmode="event+select", dragmode=False, font={"size": sty.font_size},
                      xaxis={"visible": False, "range": [-0.12 * w, 1.12 * w]},
                      yaxis={"visible": False, "range": [1.12 * h, -0.12 * h], "scaleanchor": "x"})
    return fig
