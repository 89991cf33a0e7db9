"""Detectors on your photo: torchvision's Faster R-CNN and SSDlite (COCO), from the weights cache."""
import streamlit as st

from cnnviz.detect import real
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.pictures import photo_picture
from cnnviz.ui.settings import current
from cnnviz.ui.views.photo_detector_views import PhotoDetectorsState, anchors_section, detections_section

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
if real.cache_path(name).is_file():
    detections_section(name, photo, left, right)
else:
    left.warning(real.how_to_get(name), icon=":material/download:")
    left.caption("This machine has no internet, or the file was never fetched: the Detecting digits page works "
                 "offline, and the anchors below need no weights.")
anchors_section(name, photo, photo_id, store, sty)
publish(store)
