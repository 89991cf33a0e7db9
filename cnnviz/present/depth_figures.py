"""The Going deep page's charts: activations and gradients per block, training curves of up to four runs, the
layer × step gradient heatmap, update ratios and lesion bars. Gradients are drawn as points on log axes (a bar's
length on a log axis depends on where the axis starts, and misleads)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.present.colours import Style
from cnnviz.present.figures import PERCENT_TICKS

RUN_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")  # Okabe–Ito: one per compared run
RUN_DASHES = ("solid", "dash", "dot", "dashdot")  # told apart without colour too


def _layout(fig: go.Figure, sty: Style, height: int, entries: int = 0, **kw) -> go.Figure:
    """Common layout; a legend of `entries` lines sits below the x axis's title in a margin grown to hold it."""
    line = round(sty.font_size * 1.7)
    fig.update_layout(height=height + entries * line, font={"size": sty.font_size},
                      margin={"l": 70, "r": 70 if "yaxis2" in kw else 20, "t": 30, "b": 60 + entries * line},
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
                      **kw)
    return fig


def _finite_log(values: Sequence[float]) -> list[float | None]:
    """Values a log axis can draw (a zero or an overflow is a gap, said in the text beside the chart)."""
    return [v if v > 0 and math.isfinite(v) else None for v in values]


def activation_figure(samples: Sequence[np.ndarray], sty: Style) -> go.Figure:
    """One box per block: the spread of its activations on the measured batch (a narrowing box is a signal dying)."""
    fig = go.Figure()
    for k, s in enumerate(samples, start=1):
        fig.add_trace(go.Box(y=np.asarray(s, dtype=float), name=str(k), marker={"color": "#0072B2", "size": 3},
                             boxpoints=False, showlegend=False))
    return _layout(fig, sty, 300, xaxis={"title": "block"}, yaxis={"title": "activation"})


def gradient_profile_figure(profiles: dict[str, Sequence[float]], sty: Style, title: str = "‖∂L/∂W‖ (log)") -> go.Figure:
    """‖∂L/∂W‖ per block, first block left, one line of points per run: vanishing gradients fall towards the left."""
    fig = go.Figure()
    for i, (name, norms) in enumerate(profiles.items()):
        fig.add_trace(go.Scatter(x=list(range(1, len(norms) + 1)), y=_finite_log(norms), name=name,
                                 mode="lines+markers", line={"color": RUN_COLOURS[i % 4], "dash": RUN_DASHES[i % 4]},
                                 hovertemplate="block %{x}: %{y:.3g}<extra></extra>"))
    return _layout(fig, sty, 320, len(profiles), xaxis={"title": "block (input side first)"},
                   yaxis={"title": title, "type": "log", "exponentformat": "power"})


def curves_figure(runs: dict[str, list[dict]], sty: Style) -> go.Figure:
    """Held-out accuracy (thick, left axis) and training loss (thin, right axis: the mean of the batches since the
    previous point, so every point averages the same window) against epochs; one legend entry per run."""
    fig = go.Figure()
    for i, (name, evals) in enumerate(runs.items()):
        ep = [e["epoch"] for e in evals]
        colour, dash = RUN_COLOURS[i % 4], RUN_DASHES[i % 4]
        fig.add_trace(go.Scatter(x=ep, y=[e["heldout_acc"] for e in evals], name=name, legendgroup=name,
                                 mode="lines+markers", line={"color": colour, "dash": dash, "width": 3},
                                 hovertemplate="epoch %{x:.2f}: held-out %{y:.1%}<extra></extra>"))
        fig.add_trace(go.Scatter(x=ep, y=[e["loss"] for e in evals], name=name, legendgroup=name, showlegend=False,
                                 yaxis="y2", mode="lines", line={"color": colour, "dash": dash, "width": 1.5},
                                 opacity=0.6, hovertemplate="epoch %{x:.2f}: loss %{y:.3g}<extra></extra>"))
    return _layout(fig, sty, 360, len(runs), xaxis={"title": "epoch"},
                   yaxis={"title": "held-out accuracy (thick)", "range": [0, 1.02], "tickformat": ".0%",
                          **PERCENT_TICKS},
                   yaxis2={"title": "training loss (thin)", "overlaying": "y", "side": "right", "rangemode": "tozero",
                           "tickmode": "auto", "nticks": 6, "showgrid": False})


def heatmap_figure(history: list[dict], sty: Style, max_columns: int = 400) -> go.Figure:
    """log₁₀ ‖∂L/∂W‖ for every block (rows, first block at the bottom) at every step (columns, thinned to fit)."""
    every = max(1, math.ceil(len(history) / max_columns))
    rows = history[::every]
    z = np.array([[math.log10(v) if v > 0 and math.isfinite(v) else np.nan for v in h["grad_norms"]] for h in rows])
    fig = go.Figure(go.Heatmap(z=z.T if z.size else [[]], x=[h["step"] for h in rows],
                               y=list(range(1, z.shape[1] + 1)) if z.size else [],
                               colorscale=sty.sequential, colorbar={"title": "log₁₀ ‖∂L/∂W‖"},
                               hovertemplate="step %{x}, block %{y}: 10^%{z:.2f}<extra></extra>"))
    return _layout(fig, sty, 340, xaxis={"title": "step"}, yaxis={"title": "block"})


def bars_figure(values: Sequence[float | None], sty: Style, title: str, log: bool = False,
                reference: float | None = None, reference_text: str = "") -> go.Figure:
    """One bar (or, on a log axis, one point) per block; `reference` drawn as a line (the undamaged accuracy)."""
    x = list(range(1, len(values) + 1))
    y = [None if v is None else v for v in values]
    trace = (go.Scatter(x=x, y=_finite_log([v or 0.0 for v in values]), mode="markers",
                        marker={"color": "#009E73", "size": 10}) if log else
             go.Bar(x=x, y=y, marker={"color": "#0072B2"}))
    fig = go.Figure(trace)
    if reference is not None:
        fig.add_hline(y=reference, line={"color": "#D55E00", "dash": "dash", "width": 2},
                      annotation_text=reference_text, annotation_position="top left")
    axis = {"title": title, **({"type": "log", "exponentformat": "power"} if log else
                               {"range": [0, 1.02], "tickformat": ".0%", **PERCENT_TICKS})}
    return _layout(fig, sty, 300, xaxis={"title": "block"}, yaxis=axis, showlegend=False)
