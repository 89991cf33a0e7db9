"""Charts of a real network under a moving window: the top-1 class and its probability at each point of a sweep, and
how closely each layer's feature map moves with its input."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.networks.shift_sweep import LayerPair, Sweep
from cnnviz.present.colours import Style, plotly_scale

CLASS_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross")  # told apart without colour too
AXIS = {"shift": "shift of the window (pixels right and down)", "rotate": "rotation (degrees)",
        "scale": "scale (× the centre window)"}


def sweep_figure(sweep: Sweep, sty: Style) -> go.Figure:
    """The top-1 probability at each point, one marker style per top-1 class, a grey line through all of them."""
    fig = go.Figure(go.Scatter(x=[p.value for p in sweep.points], y=[p.probability for p in sweep.points],
                               mode="lines", line={"color": "#BBBBBB", "width": 1}, showlegend=False, hoverinfo="skip"))
    classes = list(dict.fromkeys(p.top1 for p in sweep.points))
    for i, name in enumerate(classes):
        pts = [p for p in sweep.points if p.top1 == name]
        fig.add_trace(go.Scatter(x=[p.value for p in pts], y=[p.probability for p in pts], mode="markers", name=name,
                                 marker={"color": CLASS_COLOURS[i % 7], "symbol": SYMBOLS[i % 7], "size": 10},
                                 hovertemplate=f"{name}: %{{y:.1%}} at %{{x}}<extra></extra>"))
    line = round(sty.font_size * 1.7) * math.ceil(len(classes) / 4)  # short class names: about four to a row
    fig.update_layout(height=340 + line, font={"size": sty.font_size},
                      xaxis={"title": AXIS[sweep.kind]}, yaxis={"title": "top-1 probability", "range": [0, 1.02],
                                                                 "tickformat": ".0%"},
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
                      margin={"l": 70, "r": 20, "t": 30, "b": 60 + line})
    return fig


def agreement_figure(rows: list[tuple[str, float, int]], sty: Style) -> go.Figure:
    """Cosine similarity of each layer's map for the shifted and the original window, input side first."""
    fig = go.Figure(go.Scatter(x=list(range(1, len(rows) + 1)), y=[c for _, c, _ in rows], mode="lines+markers",
                               marker={"color": "#009E73", "size": 9}, customdata=[[n, d] for n, _, d in rows],
                               hovertemplate="%{customdata[0]}: %{y:.3f} (moved back %{customdata[1]} cells)"
                                             "<extra></extra>"))
    fig.update_layout(height=320, font={"size": sty.font_size}, margin={"l": 70, "r": 20, "t": 30, "b": 60},
                      xaxis={"title": "layer (input side first)"},
                      yaxis={"title": "cosine similarity", "range": [min(0.0, *(c for _, c, _ in rows)), 1.02]})
    return fig


def pair_figure(pair: LayerPair, sty: Style) -> go.Figure:
    """The layer's map (mean over channels) for the original window and for the shifted one moved back, one colour
    range: equal maps mean the layer moved exactly with its input."""
    a, b = pair.original.mean(axis=0), pair.moved_back.mean(axis=0)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    fig = make_subplots(1, 2, subplot_titles=("original window", f"shifted window, moved back {pair.cells} cells"),
                        horizontal_spacing=0.06)
    for k, m in enumerate((a, b), start=1):
        fig.add_trace(go.Heatmap(z=m, zmin=lo, zmax=hi, colorscale=plotly_scale(sty.sequential), showscale=k == 2,
                                 hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>"), 1, k)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{k}" if k > 1 else "x", showgrid=False, row=1, col=k)
        fig.update_xaxes(showgrid=False, constrain="domain", row=1, col=k)
    fig.update_layout(height=400 if sty.presentation else 340, font={"size": sty.font_size},
                      margin={"l": 40, "r": 20, "t": 50, "b": 30})
    fig.update_annotations(font={"size": sty.font_size})
    return fig
