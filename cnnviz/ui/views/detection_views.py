"""The tabs of the Detection page: IoU, NMS, anchors, RoI pooling / align and box coding, each in numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.detect import boxes as B
from cnnviz.detect import roi as R
from cnnviz.errors import CnnvizError
from cnnviz.grids.questions import nms_question
from cnnviz.present.colours import Style
from cnnviz.present.detection_figures import CURRENT, KEPT, SUPPRESSED, WAITING, boxes_figure, roi_figure
from cnnviz.present.figures import answer_hidden
from cnnviz.present.number_format import fmt
from cnnviz.ui.charts import chart
from cnnviz.ui.grid_widgets import clamp_widget, grid_editor, linked_whole, read_stepping, set_grid, stepping_fragment
from cnnviz.ui.page import PageState, Parser, StepState, widget_link
from cnnviz.ui.settings import start
from cnnviz.ui.tables import data_table
from cnnviz.ui.views import detection_link as dl
from cnnviz.urlstate import decode_array, encode_array, read_params

NMS_DEFAULT = ("10 10 50 60 0.92\n14 8 52 58 0.85\n8 14 46 64 0.60\n60 30 100 80 0.88\n64 34 104 86 0.75\n"
               "30 40 80 90 0.40\n58 28 96 76 0.55")


def _feature_map() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 10, (8, 8)).astype(float)


@dataclass(kw_only=True, eq=False)
class DetectionState(PageState):
    """The boxes of each tab, the NMS example, the RoI tab's feature map, the NMS and RoI steppers, and the last
    result of each that computed (shown while the input is wrong)."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = dl.ARITHMETIC

    name: str = "detection"
    a: list[float] = field(default_factory=lambda: [2.0, 2.0, 8.0, 7.0])
    b: list[float] = field(default_factory=lambda: [5.0, 4.0, 11.0, 10.0])
    nms_text: str = NMS_DEFAULT
    nms_t: float = 0.5
    nms: StepState = field(default_factory=lambda: StepState(name="det_nms"))
    roi: StepState = field(default_factory=lambda: StepState(name="det_roi"))
    fm: np.ndarray = field(default_factory=_feature_map)
    fm_base: np.ndarray = field(default_factory=_feature_map)
    roi_box: list[float] = field(default_factory=lambda: [8.0, 4.0, 27.0, 26.0])
    anchor: list[float] = field(default_factory=lambda: [20.0, 20.0, 60.0, 50.0])
    gt: list[float] = field(default_factory=lambda: [26.0, 14.0, 74.0, 58.0])
    nms_result: tuple[np.ndarray, np.ndarray, B.NmsResult] | None = None
    roi_result: tuple[str, Any] | None = None  # ("pool" | "align", its result)

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {**{n: dl.box for n in dl.BOXES}, "fm": lambda t: decode_array(t, 2)})
        for name in dl.BOXES:
            if name in vals:
                self[name] = vals[name]
        if "fm" in vals:
            if not (1 <= vals["fm"].shape[0] <= 12 and 1 <= vals["fm"].shape[1] <= 12):
                notices.append("URL parameter fm ignored (the feature map is 1–12 cells a side); using the default.")
            else:
                set_grid(self, "fm", vals["fm"])
        return notices + read_stepping(params, self.nms, "nms") + read_stepping(params, self.roi, "bin")

    def link(self) -> dict[str, str]:
        out = widget_link(self.WIDGETS)
        if "boxes" in out:
            out["boxes"] = ";".join(line.strip() for line in out["boxes"].splitlines() if line.strip())
        for name in dl.BOXES:
            out[name] = ",".join(f"{v:g}" for v in self[name])
        out["fm"] = encode_array(np.asarray(self.fm))
        return out


def _box_inputs(store: PageState, name: str, label: str, colour: str) -> list[float]:
    st.markdown(f"**{label}** <span style='color:{colour}'>■</span>", unsafe_allow_html=True)
    cols = st.columns(4)
    return [float(c.number_input(t, -1000.0, 1000.0, float(store[name][k]), 0.5, format="%g", key=f"det_{name}_{k}"))
            for k, (c, t) in enumerate(zip(cols, ("x1", "y1", "x2", "y2")))]


def iou_tab(store: DetectionState, sty: Style) -> None:
    st.caption("Intersection over union: how much two boxes agree, from 0 (apart) to 1 (the same box). "
               "Detectors use it to match predictions to objects and to remove duplicates.")
    left, right = st.columns([2, 3], gap="large")
    with left:
        a = _box_inputs(store, "a", "Box A", CURRENT)
        b = _box_inputs(store, "b", "Box B", SUPPRESSED)
    try:
        r = B.iou_of(a, b)
        store["a"], store["b"] = a, b
    except CnnvizError as e:
        st.error(f"{e}. Showing the last valid boxes.")
        r = B.iou_of(store["a"], store["b"])
    with left:
        st.code("\n".join(r.explain()), language=None, wrap_lines=True)
        st.metric("IoU", fmt(r.value, 4))
    top = max(r.a[2], r.b[2], r.a[3], r.b[3]) + 1
    chart(right, boxes_figure([(r.a, CURRENT, "A", False), (r.b, SUPPRESSED, "B", False)], (top, top), sty,
                                    shaded=r.intersection_box), key="det_iou_fig", config={"displaylogo": False})


def nms_tab(store: DetectionState, sty: Style) -> None:
    st.caption("A detector proposes many overlapping boxes for one object. Non-maximum suppression keeps the "
               "best-scoring box, removes every box overlapping it by more than the threshold, and repeats.")
    left, right = st.columns([2, 3], gap="large")
    text = left.text_area("Boxes: x1 y1 x2 y2 score, one per line", height=200, key="det_nms_text",
                         **start("det_nms_text", store["nms_text"]))
    t = left.slider("IoU threshold (suppress above)", 0.0, 1.0, step=0.05, key="det_nms_t",
                    **start("det_nms_t", float(store["nms_t"])))
    try:
        boxes, scores = B.parse_scored_boxes(text)
        res = B.nms(boxes, scores, t)
        store.nms_text, store.nms_t, store.nms_result = text, t, (boxes, scores, res)
    except CnnvizError as e:
        left.error(f"{e}. Showing the last valid boxes.")
    if store.nms_result is None:  # the typed boxes never parsed: the default example
        default_boxes, default_scores = B.parse_scored_boxes(NMS_DEFAULT)
        store.nms_result = (default_boxes, default_scores, B.nms(default_boxes, default_scores, 0.5))
    boxes, scores, res = store.nms_result
    extent = (float(boxes[:, 2].max()) * 1.1, float(boxes[:, 3].max()) * 1.1)

    def view(i: int) -> None:
        step = res.steps[i]
        gone_before = {j for s in res.steps[:i] for j, _ in s.suppressed}
        gone_now = dict(step.suppressed)
        kept = res.keep[: i + 1]
        hidden = answer_hidden()
        if hidden:  # predicting: the step's suppressions stay unknown until checked
            gone_now = {}
        shown = []
        for j in range(len(boxes)):
            if j == step.kept:
                shown.append((boxes[j], CURRENT, f"#{j} {scores[j]:.2f} kept now", False))
            elif j in kept:
                shown.append((boxes[j], KEPT, f"#{j} kept", False))
            elif j in gone_now:
                shown.append((boxes[j], SUPPRESSED, f"#{j} IoU {gone_now[j]:.2f} > {t:g}", True))
            elif j not in gone_before:
                shown.append((boxes[j], WAITING, f"#{j} {scores[j]:.2f}", True))
        chart(boxes_figure(shown, extent, sty), key="det_nms_fig", config={"displaylogo": False})
        if hidden:
            return
        gone = ", ".join(f"#{j} (IoU {v:.3f})" for j, v in step.suppressed) or "nothing"
        st.code(f"by score: {' > '.join(f'#{j}' for j in res.order)}\nstep {i + 1}: keep #{step.kept} "
                f"(score {scores[step.kept]:g}); it suppresses {gone}\nstill in the running: "
                f"{', '.join(f'#{j}' for j in step.survivors) or 'none'}\nkept so far: {kept}", language=None,
                wrap_lines=True)

    with right:
        stepping_fragment(store.nms, len(res.steps), "det_nms", view, shortcuts=False, unit="Step", url="nms",
                          ask=lambda i: nms_question(boxes, scores, res, i, float(store["nms_t"])))


def anchors_tab(store: DetectionState, sty: Style) -> None:
    st.caption("Faster R-CNN's region proposal network puts k anchors — sizes × aspect ratios — at every position "
               "of the last feature map, and learns for each one an objectness score and a box correction.")
    c = st.columns(5)
    h = linked_whole(c[0], "Image height", 32, 2000, "det_ah", 600)
    w = linked_whole(c[1], "Image width", 32, 2000, "det_aw", 800)
    stride = linked_whole(c[2], "Stride (VGG-16 conv5_3: 16)", 1, 64, "det_as", 16)
    sizes_t = c[3].text_input("Sizes (px)", key="det_asz", **start("det_asz", "128, 256, 512"))
    ratios_t = c[4].text_input("Ratios h/w", key="det_ar", **start("det_ar", "0.5, 1, 2"))
    try:
        sizes, ratios = B.parse_positive(sizes_t, "Sizes"), B.parse_positive(ratios_t, "Ratios")
    except CnnvizError as e:
        st.error(f"{e}. Using Faster R-CNN's.")
        sizes, ratios = (128.0, 256.0, 512.0), (0.5, 1.0, 2.0)
    grid = B.anchor_grid(h, w, stride, sizes, ratios)
    fh, fw, k = grid.rows, grid.cols, grid.per_position
    st.markdown(f"Feature map **{fh}×{fw}** (⌊{h}/{stride}⌋ × ⌊{w}/{stride}⌋) · **{k}** anchors per position "
                f"({len(sizes)} sizes × {len(ratios)} ratios) · **{fh} × {fw} × {k} = {grid.total:,}** anchors")
    p1, p2 = st.columns(2)
    clamp_widget("det_arow", max(fh - 1, 0))
    clamp_widget("det_acol", max(fw - 1, 0))
    row = linked_whole(p1, "Position row", 0, max(fh - 1, 0), "det_arow", min(fh // 2, max(fh - 1, 0)),
                       f" (the feature map has {fh} rows)")
    col = linked_whole(p2, "Position column", 0, max(fw - 1, 0), "det_acol", min(fw // 2, max(fw - 1, 0)),
                       f" (the feature map has {fw} columns)")
    here = grid.boxes[row, col]
    shown = [(bx, (CURRENT, SUPPRESSED, KEPT, WAITING)[n % 4], f"{sizes[n % len(sizes)]:g}px · {ratios[n // len(sizes)]:g}",
              False) for n, bx in enumerate(here)]
    shown.append(([0, 0, w, h], "#000000", "image", True))
    chart(boxes_figure(shown, (w, h), sty, height=520), key="det_anchor_fig", config={"displaylogo": False})
    data_table(pd.DataFrame([{"size": sizes[n % len(sizes)], "ratio h/w": ratios[n // len(sizes)],
                                "x1": bx[0], "y1": bx[1], "x2": bx[2], "y2": bx[3],
                                "width": bx[2] - bx[0], "height": bx[3] - bx[1]} for n, bx in enumerate(here)]),
                 hide_index=True)
    st.caption(f"Centre of position ({row}, {col}): ({col * stride}, {row * stride}) px. Widths s/√r and heights "
               "s·√r, rounded as torchvision's AnchorGenerator rounds them.")


def roi_tab(store: DetectionState, sty: Style) -> None:
    st.caption("A region proposal, in image pixels, is mapped onto the feature map by the spatial scale and cut into "
               "a fixed grid of bins. RoI pooling rounds the box to whole cells and takes each bin's maximum; RoI "
               "align keeps fractions and averages bilinear samples.")
    left, right = st.columns([2, 3], gap="large")
    with left:
        grid_editor(store, "fm", "feature map")
        box = _box_inputs(store, "roi_box", "Box in image pixels", CURRENT)
        c = st.columns(2)
        scale = float(c[0].selectbox("Spatial scale", [1.0, 0.5, 0.25, 0.125, 0.0625], key="det_rscale", **start("det_rscale", 2, "index"),
                                     format_func=lambda v: f"{v:g} (1/{round(1 / v)})"))
        out_h = linked_whole(c[1], "Output size", 1, 4, "det_rout", 2, " (the page draws up to 4×4 bins)")
        method = st.segmented_control("Method", ["pool", "align"], required=True, key="det_rmethod",
                                      **start("det_rmethod", "pool", "default"),
                                      format_func={"pool": "RoI pooling", "align": "RoI align"}.__getitem__)
        ratio, aligned = -1, False
        if method == "align":
            d = st.columns(2)
            ratio = linked_whole(d[0], "Sampling ratio (−1: adaptive)", -1, 4, "det_rratio", 2)
            aligned = d[1].toggle("Aligned (−0.5 px)", key="det_raligned")
    x = np.asarray(store["fm"], dtype=float)
    try:
        if method == "pool":
            res_p = R.roi_pool_one(x, box, (out_h, out_h), scale)
            store["roi_box"] = box
            store.roi_result = ("pool", res_p)
        else:
            res_a = R.roi_align_one(x, box, (out_h, out_h), scale, ratio if ratio != 0 else -1, aligned)
            store["roi_box"] = box
            store.roi_result = ("align", res_a)
    except CnnvizError as e:
        left.error(f"{e}. Showing the last valid result.")
    if store.roi_result is None:
        return
    kind, res = store.roi_result
    with right:
        stepping_fragment(store.roi, len(res.bins), "det_roi", partial(_roi_bin, x, kind, res, scale, aligned, sty),
                          shortcuts=False, unit="Bin", url="bin")


def _roi_bin(x: np.ndarray, kind: str, res: Any, scale: float, aligned: bool, sty: Style, i: int) -> None:
    """Bin i on the feature map (pooling: its cells; align: its samples) and its arithmetic."""
    b = res.bins[i]
    if kind == "pool":
        x1, y1, x2, y2 = res.box_on_map
        fig = roi_figure(x, (x1, y1, x2 + 1, y2 + 1), R.pool_bin_cells(res, i), [], res.output[0], (b.row, b.col), sty)
        text = R.pool_bin_text(x, res, i, scale)
    else:
        (y0, x0), (hh, ww) = res.start, res.size
        fig = roi_figure(x, (x0, y0, x0 + ww, y0 + hh), [], [(s.y, s.x) for s in b.samples], res.output[0],
                         (b.row, b.col), sty)
        text = R.align_bin_text(x, res, i, scale, aligned)
    chart(fig, key="det_roi_fig", config={"displaylogo": False}, theme=None)
    st.code(text, language=None, wrap_lines=True)


def coding_tab(store: DetectionState, sty: Style) -> None:
    st.caption("A detector does not output boxes: it outputs corrections (deltas) to an anchor. The centre moves by "
               "a fraction of the anchor's size, the width and height scale by an exponential.")
    left, right = st.columns([2, 3], gap="large")
    with left:
        anchor = _box_inputs(store, "anchor", "Anchor (proposal)", WAITING)
        gt = _box_inputs(store, "gt", "Object (ground truth)", KEPT)
    try:
        d, _, lines = B.coding_lines(anchor, gt)
        store["anchor"], store["gt"] = anchor, gt
    except (CnnvizError, FloatingPointError) as e:
        st.error(f"{e}. Boxes need a positive width and height.")
        return
    if not np.isfinite(d).all():
        st.error("Boxes need a positive width and height.")
        return
    left.code("\n".join(lines), language=None)
    top = max(anchor[2], gt[2], anchor[3], gt[3]) * 1.1
    chart(right, boxes_figure([(anchor, WAITING, "anchor", True), (gt, KEPT, "object", False)], (top, top), sty),
                       key="det_code_fig", config={"displaylogo": False})
