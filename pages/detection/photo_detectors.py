"""Detectors on your photo: torchvision's Faster R-CNN and SSDlite (COCO), from the weights cache."""
import streamlit as st

from cnnviz.detect import real
from cnnviz.errors import ModelUnavailable
from cnnviz.ui.heavy_jobs import run_once
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.pictures import photo_picture
from cnnviz.ui.settings import current, start
from cnnviz.ui.tables import data_table
from cnnviz.ui.views.photo_detector_views import PhotoDetectorsState, anchors_section, draw_found

sty = current().style
store = open_page(PhotoDetectorsState)

st.title("Detectors on your photo")
st.caption("Two of torchvision's detectors trained on COCO's 80 kinds of object: Faster R-CNN, two-stage (region "
           "proposals, then RoI align and a classifier per region), and SSDlite, single-shot (every anchor classified "
           "at once) — the two families of the Detection arithmetic page, at full scale.")
names = list(real.DETECTORS)
name = st.selectbox("Detector", names, format_func=lambda n: real.DETECTORS[n][0], key="pd_model")
left, right = st.columns([3, 2], gap="large")
with right:
    photo, photo_id = photo_picture(store, "pd", camera=False)
if not real.cache_path(name).is_file():
    left.warning(real.how_to_get(name), icon=":material/download:")
    left.caption("This machine has no internet, or the file was never fetched: the Detecting digits page works "
                 "offline, and the anchors below need no weights.")
    anchors_section(name, photo, photo_id, store, sty)
    publish(store)
    st.stop()
with right:
    threshold = st.slider("Score threshold", 0.05, 0.95, step=0.05, key="pd_t", **start("pd_t", 0.5))
    show_rpn = name.startswith("fasterrcnn") and st.toggle("Show the first stage's region proposals (top 50, before "
                                                           "NMS)", key="pd_rpn")
try:
    found = run_once("Detection", "pd_job", real.found_ready(name, photo), lambda: real.found_on(name, photo)) or []
except ModelUnavailable as e:
    st.error(str(e))
    st.stop()
shown = [f for f in found if f.score >= threshold]
with left:
    st.image(draw_found(photo, shown), width="stretch",
             caption=f"{len(shown)} detection(s) with score ≥ {threshold:g} ({len(found)} above {real.FLOOR:g})")
    rpn = run_once("Region proposals", "pd_rpn_job", real.proposals_ready(name, photo),
                   lambda: real.proposals_on(name, photo)) if show_rpn else None
    if rpn is not None:
        st.image(draw_found(photo, [real.Found(tuple(b), "", float(s)) for b, s in zip(rpn.boxes, rpn.objectness)]),
                 width="stretch", caption=f"Stage one: the region proposal network scored {rpn.anchors:,} anchors "
                 f"({' + '.join(f'{a}×{r}×{c}' for a, r, c in rpn.levels)} over the FPN levels); the 50 with the "
                 "highest objectness, before its NMS. Stage two classifies each surviving proposal.")
with right:
    data_table([{"object": f.label, "score": round(f.score, 3), "box x1, y1, x2, y2": ", ".join(f"{v:.0f}" for v in f.box)}
                  for f in shown], hide_index=True, width="stretch")
anchors_section(name, photo, photo_id, store, sty)
publish(store)
