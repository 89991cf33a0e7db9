"""The Detecting digits page: a scene, every cell's raw prediction, the threshold and NMS turning them into boxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnviz.detect import digits as D
from cnnviz.detect.boxes import box_iou
from cnnviz.present.colours import Style
from cnnviz.present.detection_figures import CURRENT, KEPT, SUPPRESSED, WAITING
from cnnviz.ui.charts import chart
from cnnviz.ui.page import PageState, Parser, widget_link
from cnnviz.ui.views import detection_link as dl
from cnnviz.urlstate import int_in, read_params


@dataclass(kw_only=True, eq=False)
class DigitsState(PageState):
    """The generated scene's number and the strokes drawn (the scene kind and both thresholds are linked widgets)."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = dl.DIGITS

    name: str = "digits"
    seed: int = 1
    strokes: list[list[tuple[float, float]]] = field(default_factory=list)
    canvas_id: int = 0  # a fresh drawing chart for each stroke (no old selection outline left behind)

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"seed": int_in(0, 9999), "strokes": dl.strokes})
        self.seed = vals.get("seed", self.seed)
        self.strokes = vals.get("strokes", self.strokes)
        return notices

    def link(self) -> dict[str, str]:
        out = widget_link(self.WIDGETS) | {"seed": str(self.seed)}
        if self.strokes:
            out["strokes"] = ";".join(" ".join(f"{x:.0f},{y:.0f}" for x, y in s) for s in self.strokes)
        return out

    def new_scene(self) -> None:
        """Another generated scene, chosen at random (its number box starts from it)."""
        self.seed = int(np.random.default_rng().integers(0, 10_000))
        st.session_state.pop("dig_seed", None)


def scene_figure(gray: np.ndarray, cells: list[D.CellPrediction], dets: list[D.Detection], threshold: float,
                 truth: D.Scene | None, sty: Style, selected: tuple[int, int] | None = None) -> go.Figure:
    """The scene in grey inside the network's whole input (its padding darker), the network's grid of 8-px cells,
    candidates (dashed), final boxes (labelled) and the true boxes (dotted)."""
    h, w = gray.shape
    geo = D.input_geometry(gray.shape)
    ext, cell = geo.extent, geo.cell_px
    fig = go.Figure(go.Heatmap(z=gray, colorscale=[[0, "#000000"], [1, "#FFFFFF"]], zmin=0, zmax=255, showscale=False,
                               hoverinfo="skip"))  # the scene as the detector sees it: white digits on black
    shapes: list[dict] = []  # one list (plotly's add_shape revalidates every earlier shape)
    labels: list[dict] = []

    def rect(x0: float, y0: float, x1: float, y1: float, **style) -> None:
        shapes.append({"type": "rect", "x0": x0, "y0": y0, "x1": x1, "y1": y1, **style})

    padding = {"fillcolor": "#2B3A4A", "line": {"width": 0}, "layer": "below"}
    rect(w - 0.5, -0.5, ext - 0.5, ext - 0.5, **padding)  # the black padding the network adds, drawn darker-blue
    rect(-0.5, h - 0.5, w - 0.5, ext - 0.5, **padding)
    grid = {"color": "rgba(86,180,233,0.35)", "width": 1}
    for k in range(D.GRID + 1):
        at = k * cell - 0.5
        shapes.append({"type": "line", "x0": at, "x1": at, "y0": -0.5, "y1": ext - 0.5, "line": grid})
        shapes.append({"type": "line", "y0": at, "y1": at, "x0": -0.5, "x1": ext - 0.5, "line": grid})
    final = {d.cell for d in dets}
    for c in cells:
        if c.score >= threshold and (c.row, c.col) not in final:
            rect(*c.box, line={"color": SUPPRESSED, "width": 1.5, "dash": "dash"})
    if truth is not None:
        for box in truth.boxes:
            rect(*(float(v) for v in box), line={"color": CURRENT, "width": 2, "dash": "dot"})
    for d in dets:
        x1, y1, _, _ = d.box
        rect(*d.box, line={"color": KEPT, "width": 3})
        labels.append({"x": x1, "y": y1, "text": f"{d.label} · {d.score:.2f}", "showarrow": False, "xanchor": "left",
                       "yanchor": "bottom", "font": {"size": sty.font_size, "color": "#FFFFFF"}, "bgcolor": KEPT})
        row, col = d.cell
        rect(col * cell - 0.5, row * cell - 0.5, (col + 1) * cell - 0.5, (row + 1) * cell - 0.5,
             fillcolor=KEPT, opacity=0.5, line={"width": 0})
    if selected is not None:
        row, col = selected
        rect(col * cell - 0.5, row * cell - 0.5, (col + 1) * cell - 0.5, (row + 1) * cell - 0.5,
             line={"color": WAITING, "width": 3})
    fig.update_layout(shapes=shapes, annotations=labels)
    side = 560 if sty.presentation else 480
    fig.update_layout(height=side, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False,
                      xaxis={"visible": False, "range": [-0.5, ext - 0.5], "constrain": "domain"},
                      yaxis={"visible": False, "range": [ext - 0.5, -0.5], "scaleanchor": "x", "constrain": "domain"})
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


def _canvas_figure(image: np.ndarray) -> go.Figure:
    """The drawing so far, with an invisible point every 8 px: Streamlit reports a lasso only over points."""
    side = image.shape[0]
    g = np.arange(2, side, 4)
    gx, gy = np.meshgrid(g, g)
    fig = go.Figure(go.Heatmap(z=image, colorscale=[[0, "#000000"], [1, "#FFFFFF"]], zmin=0, zmax=255,
                               showscale=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", hoverinfo="skip",
                             marker={"size": 4, "opacity": 0}, selected={"marker": {"opacity": 0}},
                             unselected={"marker": {"opacity": 0}}))
    fig.update_layout(height=480, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False, dragmode="lasso",
                      newselection={"line": {"color": "#E69F00", "width": 3}},
                      xaxis={"visible": False, "range": [-0.5, side - 0.5], "constrain": "domain", "fixedrange": True},
                      yaxis={"visible": False, "range": [side - 0.5, -0.5], "scaleanchor": "x", "constrain": "domain",
                             "fixedrange": True})
    return fig


def counts_text(cells: list[D.CellPrediction], dets: list[D.Detection], threshold: float,
                truth: D.Scene | None) -> str:
    """How many cells predicted a box, scored over the threshold, and survived NMS; against the truth if known."""
    above = sum(c.score >= threshold for c in cells)
    return (f"**{len(cells):,} cells** of the network's {D.GRID}×{D.GRID} grid predicted a box · **{above}** scored ≥ {threshold:g} · NMS kept "
            f"**{len(dets)}**." + (f" {truth_summary(truth, dets)}." if truth is not None else ""))


def drawn_scene(store: DigitsState, where) -> np.ndarray:
    """A scene the learner draws: each drag on the black canvas is one pen stroke (Undo / Clear beside it)."""
    strokes = store.strokes
    key = f"dig_draw_{store.canvas_id}"
    event = st.session_state.get(key)
    for lasso in (event["selection"]["lasso"] if event else []):
        stroke = list(zip(lasso["x"], lasso["y"]))
        if len(stroke) > 1 and stroke not in strokes:
            strokes.append(stroke)
            store.canvas_id += 1  # a fresh chart for the next stroke: no old selection outline left behind
    image = D.draw_strokes(strokes)
    with where:
        chart(_canvas_figure(image), key=f"dig_draw_{store.canvas_id}", on_select="rerun",
                        selection_mode="lasso", config={"displaylogo": False, "modeBarButtons": [["lasso2d"]]})
        a, b, c = st.columns([2, 1, 1], vertical_alignment="center")
        a.caption(f"**{len(strokes)} stroke(s).** Drag on the black canvas to draw digits about a third of its "
                  f"height ({D.DRAW_SIDE} px canvas, like the smallest training scenes); each drag is one pen stroke.")
        if b.button("Undo", icon=":material/undo:", key="dig_undo", disabled=not strokes):
            strokes.pop()
            store.canvas_id += 1
            st.rerun()
        if c.button("Clear", icon=":material/delete:", key="dig_clear", disabled=not strokes):
            strokes.clear()
            store.canvas_id += 1
            st.rerun()
    return image
