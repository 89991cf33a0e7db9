"""Charts of the Overfitting lab: loss and accuracy per epoch for training and held-out digits (the gap shaded, the
epoch of the lowest held-out loss marked), and the weights' histogram at the end of each run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.learn.overfit import WEIGHT_BINS, OverfitResult
from cnnviz.present.colours import Style
from cnnviz.present.sweep_figures import CLASS_COLOURS

DASH_TRAIN = "dot"  # training curves dotted, held-out solid: told apart without colour


def _fill(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def curves_figure(results: Sequence[OverfitResult], sty: Style) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch; per run one colour, training dotted, held-out solid; the gap
    between the two accuracy curves shaded; a star at the epoch of the lowest held-out loss."""
    fig = make_subplots(1, 2, subplot_titles=("loss (cross-entropy)", "accuracy"), horizontal_spacing=0.1)
    for i, r in enumerate(results):
        c = CLASS_COLOURS[i % len(CLASS_COLOURS)]
        ep = [h["epoch"] for h in r.history]
        name = r.label
        for col, key in ((1, "loss"), (2, "accuracy")):
            train = [h[f"train_{key}"] for h in r.history]
            held = [h[f"heldout_{key}"] for h in r.history]
            fig.add_trace(go.Scatter(x=ep, y=train, mode="lines", line={"color": c, "dash": DASH_TRAIN, "width": 2},
                                     name=f"{name} · training", legendgroup=name, showlegend=col == 1,
                                     hovertemplate=f"training {key} %{{y:.3f}} at epoch %{{x}}<extra>{name}</extra>"),
                          1, col)
            fig.add_trace(go.Scatter(x=ep, y=held, mode="lines", line={"color": c, "width": 2.5},
                                     fill="tonexty" if col == 2 else None, fillcolor=_fill(c, 0.15),
                                     name=f"{name} · held out", legendgroup=name, showlegend=col == 1,
                                     hovertemplate=f"held-out {key} %{{y:.3f}} at epoch %{{x}}<extra>{name}</extra>"),
                          1, col)
        best = r.best()
        if best is not None:
            for col, key in ((1, "heldout_loss"), (2, "heldout_accuracy")):
                fig.add_trace(go.Scatter(x=[best["epoch"]], y=[best[key]], mode="markers",
                                         marker={"symbol": "star", "size": 15, "color": c,
                                                 "line": {"color": "#000", "width": 1}},
                                         showlegend=False, legendgroup=name,
                                         hovertemplate=f"lowest held-out loss: epoch {best['epoch']}<extra>{name}"
                                                       "</extra>"), 1, col)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    rows = len(results) * 2
    legend_px = round(sty.font_size * 1.6) * ((rows + 1) // 2)
    fig.update_layout(height=400 + legend_px, font={"size": sty.font_size},
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
                      margin={"l": 60, "r": 20, "t": 40, "b": 60 + legend_px})
    fig.update_annotations(font={"size": sty.font_size})
    return fig


def weights_figure(results: Sequence[OverfitResult], sty: Style) -> go.Figure:
    """Each finished run's weights at the end, as a step histogram over the same bins (log count)."""
    centres = (WEIGHT_BINS[:-1] + WEIGHT_BINS[1:]) / 2
    fig = go.Figure()
    for i, r in enumerate(results):
        if not r.weight_counts:
            continue
        counts = np.asarray(r.weight_counts, dtype=float)
        fig.add_trace(go.Scatter(x=centres, y=np.where(counts > 0, counts, np.nan), mode="lines",
                                 line={"shape": "hvh", "color": CLASS_COLOURS[i % len(CLASS_COLOURS)], "width": 2},
                                 name=f"{r.label} (‖w‖ {r.weight_norm:.1f})"))
    fig.update_layout(height=340, font={"size": sty.font_size}, xaxis={"title": "weight value (±0.6 and beyond at "
                                                                                "the ends)"},
                      yaxis={"title": "weights (log)", "type": "log"},
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
                      margin={"l": 60, "r": 20, "t": 20, "b": 80 + round(sty.font_size * 1.6) * len(results)})
    return fig
