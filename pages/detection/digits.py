"""Detecting digits: a small YOLO-style detector trained here, every grid cell's prediction, threshold and NMS."""
import streamlit as st

from cnnviz.detect import digits as D
from cnnviz.errors import ModelUnavailable
from cnnviz.ui.charts import chart
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.pictures import decode_upload
from cnnviz.ui.settings import current, start
from cnnviz.ui.tables import data_table
from cnnviz.ui.views import digits_views as views

sty = current().style
store = open_page(views.DigitsState)

st.title("Detecting digits")
st.caption("A single-shot detector, YOLO-style, trained by this project on scenes of handwritten digits: the picture "
           f"is cut into a {D.GRID}×{D.GRID} grid of {D.STRIDE}-px cells, and every cell predicts whether a digit's "
           "centre falls in it, that digit's box and which digit it is — all at once, in one forward pass.")
try:
    D.shared()
except ModelUnavailable as e:
    st.error(str(e))
    st.stop()
metrics = D.recorded_metrics()
if metrics:
    m = st.columns(4)
    m[0].metric("Precision", f"{100 * metrics['precision']:.1f} %", help="final boxes that are a real digit, rightly "
                "named, IoU ≥ 0.5")
    m[1].metric("Recall", f"{100 * metrics['recall']:.1f} %", help="real digits found, rightly named, IoU ≥ 0.5")
    m[2].metric("mAP@0.5", f"{100 * metrics['map50']:.1f} %")
    m[3].caption(f"Measured on {metrics['scenes']} scenes ({metrics['digits']} digits) made of the 1,000 held-out "
                 "MNIST digits, which the detector never saw; score ≥ 0.5.")

left, right = st.columns([3, 2], gap="large")
with right:
    source = st.segmented_control("Scene", ["generated", "draw", "upload"], required=True, key="dig_source",
                                  **start("dig_source", "generated", "default"),
                                  format_func={"generated": "Generated", "draw": "Draw", "upload": "Photo"}.__getitem__,
                                  help="Generated: 1–5 held-out MNIST digits (the detector never saw them) on a black "
                                       "scene. Draw: your own strokes. Photo: an upload of digits on paper.")
    truth = None
    if source == "generated":
        a, b = st.columns([3, 2], vertical_alignment="bottom")
        store.seed = int(a.number_input("Scene number", 0, 9999, store.seed, key="dig_seed"))
        if b.button("New", icon=":material/casino:", key="dig_new", help="A new random scene",
                    width="stretch"):
            store.new_scene()
            st.rerun()
        truth = D.scenes(1, "heldout", 50_000 + store.seed)[0]
        gray = truth.image
    elif source == "draw":
        gray = views.drawn_scene(store, left)
    else:
        up = st.file_uploader("A photo of digits (dark on light or light on dark; it is shrunk to 256 px)",
                              type=["png", "jpg", "jpeg", "webp", "bmp"], key="dig_upload", max_upload_size=20)
        got = decode_upload(up) if up is not None else None
        if not got:
            st.info("No photo yet: showing a generated scene until you choose one.", icon=":material/upload:")
            truth = D.scenes(1, "heldout", 50_000 + store.seed)[0]
            gray = truth.image
        else:
            gray = D.photo_to_scene(got[0])
    threshold = st.slider("Score threshold (objectness × P(digit))", 0.05, 0.95, step=0.05, key="dig_t",
                          **start("dig_t", 0.5))
    iou_t = st.slider("NMS IoU threshold", 0.1, 0.9, step=0.05, key="dig_iou", **start("dig_iou", 0.45))
cells, dets = D.detect_shared(gray, threshold, iou_t)
with left:
    chart(views.scene_figure(gray, cells, dets, threshold, truth, sty), key="dig_fig",
                    config={"displaylogo": False})
    st.caption("Green: final boxes (digit · score) and the cell that predicted each · orange dashed: boxes over the "
               "threshold removed by NMS · blue dotted: where the digits really are (generated scenes).")
with right:
    st.markdown(views.counts_text(cells, dets, threshold, truth))
    st.caption(D.input_geometry(gray.shape).sentence(gray.shape))
st.subheader("The best-scoring cells and what became of them")
data_table(views.cells_table(cells, dets, threshold), hide_index=True, width="stretch")
publish(store)
