"""Detection arithmetic: IoU, non-maximum suppression, anchors, RoI pooling / align and box coding, in numbers."""
import streamlit as st

from cnnviz.ui.page import open_page, publish
from cnnviz.ui.settings import current
from cnnviz.ui.views import detection_views as views
from cnnviz.ui.views.detection_link import TABS

sty = current().style
store = open_page(views.DetectionState)

st.title("Detection arithmetic")
st.caption("The numbers inside object detectors (R-CNN → Fast R-CNN → Faster R-CNN, YOLO / SSD), each computed "
           "here exactly as torchvision.ops computes it and cross-checked against it in the tests. Boxes are "
           "[x1, y1, x2, y2] in pixels, y pointing down.")
tabs = st.tabs(list(TABS), key="det_tab", on_change="rerun")  # the tab a learner is on goes into the link
with tabs[0]:
    views.iou_tab(store, sty)
with tabs[1]:
    views.nms_tab(store, sty)
with tabs[2]:
    views.anchors_tab(store, sty)
with tabs[3]:
    views.roi_tab(store, sty)
with tabs[4]:
    views.coding_tab(store, sty)
publish(store)
