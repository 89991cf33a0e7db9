"""Figures of the detection pages: boxes on a canvas, anchors at a position, RoI bins and samples on a feature map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, get_style, grid_figure

# Okabe–Ito: distinguishable with every common colour-vision deficiency
KEPT, CURRENT, SUPPRESSED, WAITING, INTERSECTION = "#009E73", "#0072B2", "#D55E00", "#999999", "#E69F00"


PLOT_WIDTH_PX = 520  # about the width a boxes figure gets in its column (labels are placed for it)
Spot = tuple[float, float, str, str]  # an annotation's x, y, xanchor, yanchor


def label_size(text: str, unit_px: float, font_px: float) -> tuple[float, float]:
    """A label's width and height in data units (about 0.6 em a character, 1.4 em a line, plus the box's padding)."""
    return (len(text) * 0.6 * font_px + 8) / unit_px, (1.4 * font_px + 4) / unit_px


def _rect(spot: Spot, size: tuple[float, float]) -> tuple[float, float, float, float]:
    x, y, xa, ya = spot
    w, h = size
    left = x if xa == "left" else x - w
    top = y - h if ya == "bottom" else y  # y points down: "bottom" sits above the point
    return left, top, left + w, top + h


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(boxes: Sequence[tuple[float, ...]], texts: Sequence[str], unit_px: float, font_px: float
                 ) -> list[Spot]:
    """Where each box's label goes so that no two labels overlap: above its top-left corner, else below its
    bottom-left, above its top-right, below its bottom-right, inside its top-left, else stacked further up."""
    placed: list[tuple[float, float, float, float]] = []
    out: list[Spot] = []
    for (x1, y1, x2, y2), text in zip(boxes, texts, strict=True):
        size = label_size(text, unit_px, font_px)
        tries: list[Spot] = [(x1, y1, "left", "bottom"), (x1, y2, "left", "top"), (x2, y1, "right", "bottom"),
                             (x2, y2, "right", "top"), (x1, y1, "left", "top")]
        tries += [(x1, y1 - k * size[1], "left", "bottom") for k in range(1, 12)]
        spot = next((t for t in tries if not any(_overlap(_rect(t, size), r) for r in placed)), tries[0])
        placed.append(_rect(spot, size))
        out.append(spot)
    return out


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
    font = sty.font_size - 2
    unit_px = min((height - 50) / h, PLOT_WIDTH_PX / w)  # the axes share one scale (scaleanchor)
    spots = place_labels([tuple(float(v) for v in b[0]) for b in boxes if b[2]], [b[2] for b in boxes if b[2]],
                         unit_px, font)
    for box, colour, label, dashed in boxes:
        x1, y1, x2, y2 = (float(v) for v in box)
        shapes.append({"type": "rect", "x0": x1, "y0": y1, "x1": x2, "y1": y2,
                       "line": {"color": colour, "width": lw, "dash": "dash" if dashed else "solid"}})
        if label:
            x, y, xa, ya = spots.pop(0)
            labels.append({"x": x, "y": y, "text": label, "showarrow": False, "xanchor": xa, "yanchor": ya,
                           "font": {"size": font, "color": colour}, "bgcolor": "rgba(255,255,255,0.8)"})
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
