"""Transposed convolution: each input cell scatters a scaled kernel; its direct-convolution twin; the matrix."""
import numpy as np
import streamlit as st

from cnnviz.grids.predict import transposed_size_question
from cnnviz.grids.text import grid_to_csv, grid_to_url
from cnnviz.grids.transposed import TransposedConfig, conv_transpose2d
from cnnviz.present.figures import Panel, grid_figure
from cnnviz.ui.charts import chart
from cnnviz.ui.grids import (
    changed,
    compute_or_last_good,
    grid_editor,
    load_state,
    page_store,
    read_stepping,
    read_url_once,
    step_and_settings,
    whole,
    widget,
    write_url,
)
from cnnviz.ui.predict import held_back, pending
from cnnviz.ui.settings import current
from cnnviz.ui.transposed_views import direct_section, formulas, matrix_section, scatter_section
from cnnviz.urlstate import decode_array, fit_grid, number, pair_in, read_params

sty = current().style
X0 = np.array([[1.0, 2], [3, 4]])
K0 = np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]])
store = page_store("transposed", lambda: {"x": X0.copy(), "x_base": X0.copy(), "k": K0.copy(), "k_base": K0.copy(),
                                          "sh": 2, "sw": 2, "ph": 0, "pw": 0, "oph": 0, "opw": 0, "dh": 1, "dw": 1,
                                          "bias": 0.0, "version": 0, "direct": {"_name": "tdirect"}})


def _from_url(params: dict) -> list[str]:
    vals, notices = read_params(params, {"x": lambda t: decode_array(t, 2), "k": lambda t: decode_array(t, 2),
                                         "s": pair_in(1, 4), "p": pair_in(0, 4), "op": pair_in(0, 3), "d": pair_in(1, 3),
                                         "b": number})
    for name, cap, what in (("x", 6, "input"), ("k", 5, "kernel")):
        if name in vals:
            vals[name], cut = fit_grid(vals[name], cap, cap, what)
            notices += [cut] if cut else []
    notices += read_stepping(params, store) + read_stepping(params, store["direct"], "direct")
    new = {k: store[k] for k in ("x", "k")}
    if "b" in vals:
        new["bias"] = vals["b"]
    for key, names in (("s", ("sh", "sw")), ("p", ("ph", "pw")), ("op", ("oph", "opw")), ("d", ("dh", "dw"))):
        if key in vals:
            new[names[0]], new[names[1]] = vals[key]
    new.update({k: vals[k] for k in ("x", "k") if k in vals})
    load_state(store, new)
    return notices


read_url_once("transposed", _from_url)

st.title("Transposed convolution")
step_area, settings_area = step_and_settings(
    "Each input cell scatters a copy of the kernel, scaled by its value, into a larger output; overlaps add "
    "up. It upsamples, as in decoders and segmentation networks.")
with settings_area:
    col_x, col_k, col_hp = st.columns([2, 2, 3], gap="medium")
    for col, name, label, cap in ((col_x, "x", "Input", 6), (col_k, "k", "Kernel", 5)):
        with col:
            a, b = st.columns(2)
            shape = store[name].shape
            store[f"{name}_r"], store[f"{name}_c"] = shape
            r = whole(a, f"{label} rows", 1, cap, store, f"{name}_r")
            c = whole(b, f"{label} cols", 1, cap, store, f"{name}_c")
            if (r, c) != shape:
                new = np.zeros((r, c))
                new[: min(r, shape[0]), : min(c, shape[1])] = store[name][: min(r, shape[0]), : min(c, shape[1])]
                load_state(store, {name: new})
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

    cfg = TransposedConfig((store["sh"], store["sw"]), (store["ph"], store["pw"]), (store["oph"], store["opw"]),
                           (store["dh"], store["dw"]))
    res = compute_or_last_good(store, lambda: conv_transpose2d(store["x"], store["k"], store["bias"], cfg))
    write_url({"x": grid_to_url(res.input[0]), "k": grid_to_url(res.weight[0, 0]), "s": f"{cfg.stride[0]},{cfg.stride[1]}",
               "p": f"{cfg.padding[0]},{cfg.padding[1]}", "op": f"{cfg.output_padding[0]},{cfg.output_padding[1]}",
               "d": f"{cfg.dilation[0]},{cfg.dilation[1]}", "b": f"{float(store['bias']):g}"})

    if pending(store, transposed_size_question(res)):
        held_back("The output size")
    else:
        formulas(res)

with step_area:
    scatter_section(res, store, sty)

st.subheader("Output")
chart(grid_figure([Panel("output (canvas cropped by P, + bias)", res.output[0])], sty), key="tr_out",
                config={"displaylogo": False}, theme=None)
st.download_button("Output as CSV", grid_to_csv(res.output[0]), file_name="transposed_output.csv", mime="text/csv",
                   icon=":material/table:")

direct_section(res, store, sty)

matrix_section(res, store, sty)
