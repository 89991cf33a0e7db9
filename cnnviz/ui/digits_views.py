"""The Detecting digits page: a scene, every cell's raw prediction, the threshold and NMS turning them into boxes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnviz.detect import digits as D
from cnnviz.detect.boxes import box_iou
from cnnviz.present.colours import Style
from cnnviz.present.detection_figures import CURRENT, KEPT, SUPPRESSED, WAITING


@st.cache_resource(show_spinner=False)
def detector() -> D.DigitDetector:
    """One frozen detector for the whole process (it is never modified: eval mode, no gradients)."""
    return D.load()


def scene_figure(gray: np.ndarray, cells: list[D.CellPrediction], dets: list[D.Detection], threshold: float,
                 truth: D.Scene | None, sty: Style, selected: tuple[int, int] | None = None) -> go.Figure:
    """The scene in grey, the 8-px grid, candidates (dashed), final boxes (labelled) and the true boxes (dotted)."""
    h, w = gray.shape
    fig = go.Figure(go.Heatmap(z=gray, colorscale=[[0, "#000000"], [1, "#FFFFFF"]], zmin=0, zmax=255, showscale=False,
                               hoverinfo="skip"))  # the scene as the detector sees it: white digits on black
    for k in range(0, max(h, w) + 1, D.STRIDE):
        if k <= w:
            fig.add_shape(type="line", x0=k - 0.5, x1=k - 0.5, y0=-0.5, y1=h - 0.5,
                          line={"color": "rgba(0,114,178,0.15)", "width": 1})
        if k <= h:
            fig.add_shape(type="line", y0=k - 0.5, y1=k - 0.5, x0=-0.5, x1=w - 0.5,
                          line={"color": "rgba(0,114,178,0.15)", "width": 1})
    final = {d.cell for d in dets}
    for c in cells:
        if c.score >= threshold and (c.row, c.col) not in final:
            x1, y1, x2, y2 = c.box
            fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line={"color": SUPPRESSED, "width": 1.5,
                                                                        "dash": "dash"})
    if truth is not None:
        for x1, y1, x2, y2 in truth.boxes:
            fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line={"color": CURRENT, "width": 2, "dash": "dot"})
    for d in dets:
        x1, y1, x2, y2 = d.box
        fig.add_shape(type="rect", x0=x1, y0=y1, x1=x2, y1=y2, line={"color": KEPT, "width": 3})
        fig.add_annotation(x=x1, y=y1, text=f"{d.label} · {d.score:.2f}", showarrow=False, xanchor="left",
                           yanchor="bottom", font={"size": sty.font_size, "color": "#FFFFFF"}, bgcolor=KEPT)
        row, col = d.cell
        fig.add_shape(type="rect", x0=col * D.STRIDE - 0.5, y0=row * D.STRIDE - 0.5, x1=(col + 1) * D.STRIDE - 0.5,
                      y1=(row + 1) * D.STRIDE - 0.5, fillcolor=KEPT, opacity=0.5, line_width=0)
    if selected is not None:
        row, col = selected
        fig.add_shape(type="rect", x0=col * D.STRIDE - 0.5, y0=row * D.STRIDE - 0.5, x1=(col + 1) * D.STRIDE - 0.5,
                      y1=(row + 1) * D.STRIDE - 0.5, line={"color": WAITING, "width": 3})
    side = 560 if sty.presentation else 480
    fig.update_layout(height=side, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False,
                      xaxis={"visible": False, "range": [-0.5, w - 0.5], "constrain": "domain"},
                      yaxis={"visible": False, "range": [h - 0.5, -0.5], "scaleanchor": "x", "constrain": "domain"})
    return fig


def cells_table(cells: list[D.CellPrediction], dets: list[D.Detection], threshold: float, n: int = 15) -> pd.DataFrame:
    """The n highest-scoring cells and what became of each: a final box, removed by NMS, or under the threshold."""
    final = {d.cell for d in dets}
    rows = []
    for c in sorted(cells, key=lambda c: -c.score)[:n]:
        fate = ("final box" if (c.row, c.col) in final else
                "removed by NMS (overlaps a better box of its digit)" if c.score >= threshold else "under the threshold")
        rows.append({"cell (row, col)": f"({c.row}, {c.col})", "objectness": round(c.objectness, 3),
                     "digit": c.label, "P(digit)": round(c.class_probability, 3), "score = obj × P": round(c.score, 3),
                     "box x1, y1, x2, y2": ", ".join(f"{v:.0f}" for v in c.box), "fate": fate})
    return pd.DataFrame(rows)


def truth_summary(truth: D.Scene, dets: list[D.Detection]) -> str:
    """How the final boxes compare with the scene's real digits (right digit, IoU ≥ 0.5)."""
    found = 0
    for box, lab in zip(truth.boxes, truth.labels):
        ious = [float(box_iou([box], [d.box])[0, 0]) if d.label == lab else 0.0 for d in dets]
        found += bool(ious) and max(ious) >= 0.5
    wrong = len(dets) - found
    return (f"{found} of the {len(truth.labels)} digits found (right digit, IoU ≥ 0.5)"
            + (f"; {wrong} box(es) that match no digit" if wrong > 0 else ""))
