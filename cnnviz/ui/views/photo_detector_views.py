"""The Detectors on your photo page: its state and link, boxes drawn on the photo, and the anchors laid at a
clicked position (the detectors, their runs and the anchors are the engine's, in `detect.real`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.detect import real
from cnnviz.errors import ModelUnavailable
from cnnviz.images import SAMPLE_PHOTOS
from cnnviz.present.colours import Style
from cnnviz.present.detection_figures import KEPT
from cnnviz.ui.charts import chart
from cnnviz.ui.heavy_jobs import run_once
from cnnviz.ui.page import PageState, Parser, widget_link
from cnnviz.ui.settings import start
from cnnviz.ui.tables import data_table
from cnnviz.ui.views import detection_link as dl
from cnnviz.urlstate import number, read_params


@dataclass(kw_only=True, eq=False)
class PhotoDetectorsState(PageState):
    """The sample photo and the clicked anchor position (the detector, threshold and level are linked widgets)."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = dl.PHOTO

    name: str = "photo_detectors"
    sample: str = "Coffee"
    anchor_xy: tuple[float, float] | None = None  # the clicked position, in photo pixels
    anchor_xy_link: tuple[float, float] | None = None  # a linked position, used once the photo's anchors are laid
    anchors_of: tuple[str, str] | None = None  # (detector, photo id) the clicked position belongs to

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"at": lambda t: tuple(number(v) for v in t.split(",", 1))})
        if "at" in vals and len(vals["at"]) == 2:
            self.anchor_xy_link = vals["at"]
        if params.get("sample") in SAMPLE_PHOTOS:
            self.sample = params["sample"]
        return notices

    def link(self) -> dict[str, str]:
        out = widget_link(self.WIDGETS)
        if self.anchor_xy:
            out["at"] = ",".join(f"{v:.0f}" for v in self.anchor_xy)
        return out



def detections_section(name: str, photo: np.ndarray, left, right) -> None:
    """The detector's boxes above a score threshold (run once per photo and detector, queued; the threshold only
    filters), Faster R-CNN's first-stage proposals on request, and the boxes as a table."""
    with right:
        threshold = st.slider("Score threshold", 0.05, 0.95, step=0.05, key="pd_t", **start("pd_t", 0.5))
        show_rpn = name.startswith("fasterrcnn") and st.toggle("Show the first stage's region proposals (top 50, "
                                                               "before NMS)", key="pd_rpn")
    try:
        found = run_once("Detection", "pd_job", real.found_ready(name, photo), lambda: real.found_on(name, photo))
    except ModelUnavailable as e:
        left.error(str(e))
        return
    shown = [f for f in found or [] if f.score >= threshold]
    with left:
        st.image(draw_found(photo, shown), alt=f"The photo with {len(shown)} detected boxes: " + (", ".join(f"{f.label} {f.score:.2f}" for f in shown[:8]) or "none"), width="stretch", caption=f"{len(shown)} detection(s) with score ≥ "
                 f"{threshold:g} ({len(found or [])} above {real.FLOOR:g})")
        rpn = run_once("Region proposals", "pd_rpn_job", real.proposals_ready(name, photo),
                       lambda: real.proposals_on(name, photo)) if show_rpn else None
        if rpn is not None:
            st.image(draw_found(photo, [real.Found(tuple(b), "", float(s)) for b, s in zip(rpn.boxes, rpn.objectness)]), alt="The photo with the 50 region proposals of highest objectness",
                     width="stretch", caption=f"Stage one: the region proposal network scored {rpn.anchors:,} anchors "
                     f"({' + '.join(f'{a}×{r}×{c}' for a, r, c in rpn.levels)} over the FPN levels); the 50 with the "
                     "highest objectness, before its NMS. Stage two classifies each surviving proposal.")
    with right:
        data_table([{"object": f.label, "score": round(f.score, 3),
                     "box x1, y1, x2, y2": ", ".join(f"{v:.0f}" for v in f.box)} for f in shown],
                   hide_index=True, width="stretch")


def draw_found(photo: np.ndarray, found: list) -> np.ndarray:
    """The photo with each detection's box and 'label score' drawn on it."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.asarray(photo, dtype=np.uint8)).convert("RGB")
    d = ImageDraw.Draw(img)
    width = max(2, img.width // 200)
    for f in found:
        x1, y1, x2, y2 = f.box
        d.rectangle((x1, y1, x2, y2), outline=KEPT, width=width)
        text = f"{f.label} {f.score:.2f}"
        tw = d.textlength(text)
        d.rectangle((x1, max(0, y1 - 14), x1 + tw + 6, max(14, y1)), fill=KEPT)
        d.text((x1 + 3, max(0, y1 - 13)), text, fill="#FFFFFF")
    return np.asarray(img)



def anchors_section(name: str, photo: np.ndarray, photo_id: str, store: PhotoDetectorsState, sty: Style) -> None:
    """Click a position on the photo: the anchors the detector lays there, at each of its feature maps."""
    from cnnviz.present.detection_figures import anchors_on_photo_figure

    st.subheader("Anchors at a position")
    with st.spinner("Laying the anchors over the photo…"):
        levels = real.anchors_on(name, photo)
    if store.anchors_of != (name, photo_id):  # a new photo or detector: a linked position, else the centre
        store.anchors_of, store.anchor_xy, store.anchor_xy_link = (name, photo_id), store.anchor_xy_link, None
    h, w = photo.shape[:2]
    if st.session_state.get("pd_anchor_level") not in range(len(levels)):
        st.session_state.pop("pd_anchor_level", None)
    names = [real.level_name(i, lv) for i, lv in enumerate(levels)]
    st.caption(real.resize_sentence(real.shared_architecture(name), (h, w)))
    twins = real.same_size_note(levels)
    if twins:
        st.caption(twins)
    k = st.segmented_control("Feature map", range(len(levels)), format_func=names.__getitem__, required=True,
                             key="pd_anchor_level", **start("pd_anchor_level", 0, "default"))
    level = levels[int(k)]
    fig_key = f"pd_anchor_fig_{k}"
    event = st.session_state.get(fig_key)
    points = event["selection"]["points"] if event else []
    if points and points[0].get("curve_number", 1) == 1:
        store.anchor_xy = (float(points[0]["x"]), float(points[0]["y"]))
    x, y = store.anchor_xy or (w / 2, h / 2)
    row, col, boxes = level.at(x, y)
    cx, cy = level.centres[row * level.cols + col]
    left, right = st.columns([3, 2], gap="large")
    chart(left, anchors_on_photo_figure(photo, level.centres, boxes, (cx, cy), sty), key=fig_key,
                      on_select="rerun", selection_mode="points", config={"displaylogo": False})
    total = sum(lv.boxes.shape[0] for lv in levels)
    right.markdown(f"**Position row {row}, column {col}** of map {int(k) + 1} — centre ({cx:.0f}, {cy:.0f}) px in "
                   f"the photo. Every dot is a position of this {level.rows}×{level.cols} map; each lays "
                   f"**{level.per_position} anchors** there, so the map has {level.boxes.shape[0]:,} and the "
                   f"detector {total:,} over all {len(levels)} maps. Click a dot to move.")
    data_table(where=right, data=pd.DataFrame({"anchor": range(1, len(boxes) + 1),
                                  "width px": np.round(boxes[:, 2] - boxes[:, 0], 1),
                                  "height px": np.round(boxes[:, 3] - boxes[:, 1], 1),
                                  "height ÷ width": np.round((boxes[:, 3] - boxes[:, 1]) /
                                                             np.maximum(boxes[:, 2] - boxes[:, 0], 1e-9), 2)}),
                    hide_index=True, width="stretch", height=300)
    right.caption("Anchors depend on the architecture only (sizes, ratios, the feature maps' strides), not on the "
                  "weights: they are laid here even without the detector's file. The detector then scores each one "
                  "and corrects its box (the Box coding tab of Detection arithmetic).")
