"""Transposed convolution: each input cell scatters a scaled kernel; its direct-convolution twin; the matrix."""
import streamlit as st

from cnnviz.grids.page_config import resized
from cnnviz.grids.questions import transposed_size_question
from cnnviz.grids.text import grid_to_csv
from cnnviz.grids.transposed import conv_transpose2d
from cnnviz.present.figures import Panel, grid_figure
from cnnviz.ui.charts import chart
from cnnviz.ui.grid_widgets import (
    changed,
    compute_or_last_good,
    grid_editor,
    load_state,
    step_and_settings,
    whole,
    widget,
)
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.predict_first import held_back, pending, result_held
from cnnviz.ui.settings import current
from cnnviz.ui.views.transposed_views import (
    CAPS,
    TransposedState,
    direct_section,
    formulas,
    matrix_section,
    overlap_section,
    scatter_section,
)

sty = current().style
store = open_page(TransposedState)

st.title("Transposed convolution")
step_area, settings_area = step_and_settings(
    "Each input cell scatters a copy of the kernel, scaled by its value, into a larger output; overlaps add "
    "up. It upsamples, as in decoders and segmentation networks.")
with settings_area:
    col_x, col_k, col_hp = st.columns([2, 2, 3], gap="medium")
    for col, name, label in ((col_x, "x", "Input"), (col_k, "k", "Kernel")):
        cap = CAPS[name][0]
        with col:
            a, b = st.columns(2)
            shape = store[name].shape
            store[f"{name}_r"], store[f"{name}_c"] = shape
            r = whole(a, f"{label} rows", 1, cap, store, f"{name}_r")
            c = whole(b, f"{label} cols", 1, cap, store, f"{name}_c")
            if (r, c) != shape:
                load_state(store, {name: resized(store[name], (r, c))})
                st.rerun()
            st.markdown(f"**{label}**")
            grid_editor(store, name, label.lower())
    with col_hp:
        a, b = st.columns(2)
        for label, n1, n2, lo, hi in (("Stride", "sh", "sw", 1, 4), ("Padding", "ph", "pw", 0, 4),
                                      ("Output padding", "oph", "opw", 0, 3), ("Dilation", "dh", "dw", 1, 3)):
            whole(a, f"{label} ↓", lo, hi, store, n1)
            whole(b, f"{label} →", lo, hi, store, n2)
        changed(store, "bias", float(st.number_input("Bias", -100.0, 100.0, step=1.0, format="%g", key=widget(store, "bias"))))

    res = compute_or_last_good(store, lambda: conv_transpose2d(store.x, store.k, store.bias, store.config()))
    publish(store)

    if pending(store, transposed_size_question(res)):
        held_back("The output size")
    else:
        formulas(res)

with step_area:
    scatter_section(res, store, sty)

st.subheader("Output")
if not result_held("The whole output"):
    chart(grid_figure([Panel("output (canvas cropped by P, + bias)", res.output[0])], sty), key="tr_out",
          config={"displaylogo": False}, theme=None)
    st.download_button("Output as CSV", grid_to_csv(res.output[0]), file_name="transposed_output.csv",
                       mime="text/csv", icon=":material/table:")

direct_section(res, store, sty)
overlap_section(res, sty, held=result_held("The resize-then-convolve output"))

matrix_section(res, store, sty)
