"""Transposed convolution: each input cell scatters a scaled kernel; its direct-convolution twin; the matrix."""
import numpy as np
import streamlit as st

from cnnviz.errors import GridError
from cnnviz.grids.conv import ConvConfig
from cnnviz.grids.shapes import transposed_output_size
from cnnviz.grids.text import grid_to_csv, grid_to_url
from cnnviz.grids.transposed import TransposedConfig, conv_matrix, conv_transpose2d
from cnnviz.present.figures import Panel, conv_step_panels, grid_figure, retitled
from cnnviz.present.numbers import MINUS, fmt
from cnnviz.present.render import gif_bytes, png_bytes, render_panels
from cnnviz.ui.grids import (
    changed,
    compute_or_last_good,
    grid_editor,
    load_state,
    page_store,
    read_url_once,
    stepping_fragment,
    widget,
    write_url,
)
from cnnviz.ui.settings import current
from cnnviz.urlstate import decode_array, int_in, pair_in, read_params

sty = current().style
X0 = np.array([[1.0, 2], [3, 4]])
K0 = np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]])
store = page_store("transposed", lambda: {"x": X0.copy(), "x_base": X0.copy(), "k": K0.copy(), "k_base": K0.copy(),
                                          "sh": 2, "sw": 2, "ph": 0, "pw": 0, "oph": 0, "opw": 0, "dh": 1, "dw": 1,
                                          "bias": 0.0, "version": 0, "direct": {"_name": "tdirect"}})


def _from_url(params: dict) -> list[str]:
    vals, notices = read_params(params, {"x": lambda t: decode_array(t, 2), "k": lambda t: decode_array(t, 2),
                                         "s": pair_in(1, 4), "p": pair_in(0, 4), "op": pair_in(0, 3), "d": pair_in(1, 3),
                                         "step": int_in(0, 10_000)})
    new = {k: store[k] for k in ("x", "k")}
    for key, names in (("s", ("sh", "sw")), ("p", ("ph", "pw")), ("op", ("oph", "opw")), ("d", ("dh", "dw"))):
        if key in vals:
            new[names[0]], new[names[1]] = vals[key]
    new.update({k: vals[k] for k in ("x", "k", "step") if k in vals})
    load_state(store, new)
    return notices


read_url_once("transposed", _from_url)

st.title("Transposed convolution")
st.caption("Each input cell scatters a copy of the kernel, scaled by its value, into a larger output; overlaps add "
           "up. It upsamples, as in decoders and segmentation networks.")

col_x, col_k, col_hp = st.columns([2, 2, 3], gap="medium")
errors = []
for col, name, label, cap in ((col_x, "x", "Input", 6), (col_k, "k", "Kernel", 5)):
    with col:
        a, b = st.columns(2)
        shape = store[name].shape
        store[f"{name}_r"], store[f"{name}_c"] = shape
        r = a.number_input(f"{label} rows", 1, cap, key=widget(store, f"{name}_r"))
        c = b.number_input(f"{label} cols", 1, cap, key=widget(store, f"{name}_c"))
        if (r, c) != shape:
            new = np.zeros((r, c))
            new[: min(r, shape[0]), : min(c, shape[1])] = store[name][: min(r, shape[0]), : min(c, shape[1])]
            load_state(store, {name: new})
            st.rerun()
        st.markdown(f"**{label}**")
        _, err = grid_editor(store, name, label.lower())
        errors += [err] if err else []
with col_hp:
    a, b = st.columns(2)
    for label, n1, n2, lo, hi in (("Stride", "sh", "sw", 1, 4), ("Padding", "ph", "pw", 0, 4),
                                  ("Output padding", "oph", "opw", 0, 3), ("Dilation", "dh", "dw", 1, 3)):
        changed(store, n1, a.number_input(f"{label} ↓", lo, hi, key=widget(store, n1)))
        changed(store, n2, b.number_input(f"{label} →", lo, hi, key=widget(store, n2)))
    changed(store, "bias", float(st.number_input("Bias", -100.0, 100.0, step=1.0, format="%g", key=widget(store, "bias"))))

cfg = TransposedConfig((store["sh"], store["sw"]), (store["ph"], store["pw"]), (store["oph"], store["opw"]),
                       (store["dh"], store["dw"]))
res = compute_or_last_good(store, errors, lambda: conv_transpose2d(store["x"], store["k"], store["bias"], cfg))
write_url({"x": grid_to_url(res.input[0]), "k": grid_to_url(res.weight[0, 0]), "s": f"{cfg.stride[0]},{cfg.stride[1]}",
           "p": f"{cfg.padding[0]},{cfg.padding[1]}", "op": f"{cfg.output_padding[0]},{cfg.output_padding[1]}",
           "d": f"{cfg.dilation[0]},{cfg.dilation[1]}"})

h, w = res.input.shape[1:]
kh, kw = res.weight.shape[2:]
oh, ow = res.output.shape[1:]
with st.container(border=True):
    a, b = st.columns(2)
    for col, n, k, s, p, d, op, out, axis in ((a, h, kh, *[v[0] for v in (cfg.stride, cfg.padding, cfg.dilation,
                                                                            cfg.output_padding)], oh, "rows"),
                                               (b, w, kw, *[v[1] for v in (cfg.stride, cfg.padding, cfg.dilation,
                                                                            cfg.output_padding)], ow, "columns")):
        col.markdown(f"**Output {axis}** (N−1)·S − 2P + D·(F−1) + output_padding + 1")
        col.code(f"({n}{MINUS}1)·{s} {MINUS} 2·{p} + {d}·({k}{MINUS}1) + {op} + 1 = "
                 f"{transposed_output_size(n, k, s, p, d, op)}", language=None, wrap_lines=True)
    st.markdown(f"Input {h}×{w} → output {oh}×{ow}. The scatter fills a {res.canvas.shape[1]}×{res.canvas.shape[2]} "
                f"canvas; padding P crops P cells from each side of it (outlined in blue).")

crop_t, crop_l, crop_h, crop_w = res.crop
crop_cells = [(r, c) for r in range(crop_t, crop_t + crop_h) for c in range(crop_l, crop_l + crop_w)]
edge = [(r, c) for (r, c) in crop_cells if r in (crop_t, crop_t + crop_h - 1) or c in (crop_l, crop_l + crop_w - 1)]


def scatter_panels(i: int) -> tuple[list[Panel], str]:
    s = res.step(i)
    touched = [(r, c) for (_, r, c) in s.cells]
    outlines = [(edge, sty.feed_colour)] if res.config.padding != (0, 0) else []
    return [Panel("input", res.input[0], outlines=[([(s.row, s.col)], sty.target_colour)]),
            Panel("kernel", res.weight[0, 0], signed=True),
            Panel("canvas so far", s.running[0], outlines=outlines + [(touched, sty.window_colour)])], s.expression()


def scatter_view(i: int) -> None:
    panels, text = scatter_panels(i)
    st.plotly_chart(grid_figure(panels, sty), key="tr_fig", config={"displaylogo": False}, theme=None)
    st.code(text, language=None, wrap_lines=True)
    e1, e2 = st.columns(2)
    e1.download_button("This view as PNG", lambda: png_bytes(render_panels(panels, sty, text)), file_name="transposed.png",
                       mime="image/png", icon=":material/image:")
    e2.download_button("Whole scatter as GIF", lambda: gif_bytes(res.n_steps, lambda n: render_panels(
        scatter_panels(n)[0], sty, scatter_panels(n)[1]), 800), file_name="transposed.gif", mime="image/gif",
        icon=":material/animation:")


st.subheader("Scatter, one input cell at a time")
stepping_fragment(store, res.n_steps, "tr", scatter_view, unit="Input cell")

st.subheader("Output")
st.plotly_chart(grid_figure([Panel("output (canvas cropped by P, + bias)", res.output[0])], sty), key="tr_out",
                config={"displaylogo": False}, theme=None)
st.download_button("Output as CSV", grid_to_csv(res.output[0]), file_name="transposed_output.csv", mime="text/csv",
                   icon=":material/table:")

st.subheader("The same numbers as a direct convolution")
fh, fw = cfg.dilation[0] * (kh - 1), cfg.dilation[1] * (kw - 1)
st.markdown(f"Insert {cfg.stride[0] - 1}×{cfg.stride[1] - 1} zeros between the input values (stride − 1), pad by "
            f"D·(F−1) = {fh}×{fw} on each side" + (" (plus the output padding at the bottom/right)"
                                                   if cfg.output_padding != (0, 0) else "")
            + ", slide the kernel rotated by 180° with stride 1, then crop P. "
            "**Why it equals a convolution's input gradient:** a convolution's output cell reads a window of "
            "inputs with the kernel's weights, so backpropagation sends each output gradient back to that same "
            "window with the same weights — exactly this scatter (the Backward pass page shows it).")


def direct_view(i: int) -> None:
    ds = res.direct.step(i)
    panels = retitled(conv_step_panels(res.direct, ds, sty, 0), "zero-inserted, padded input", "kernel ↻180°",
                      "= canvas")
    st.plotly_chart(grid_figure(panels, sty, cell_px=34), key="tr_direct_fig", config={"displaylogo": False}, theme=None)
    st.code(ds.expression(), language=None, wrap_lines=True)


stepping_fragment(store["direct"], res.direct.n_steps, "tr_direct", direct_view, shortcuts=False, unit="Canvas cell")
st.success(f"Direct convolution and scatter agree on all {res.canvas.size} canvas cells (largest difference "
           f"{fmt(float(np.max(np.abs(res.direct.output - res.canvas))))}).", icon=":material/check_circle:")

st.subheader("Convolution as a matrix")
fwd_cfg = ConvConfig(stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation)
try:
    m = conv_matrix((1, oh, ow), res.weight[0, 0], fwd_cfg)
    if m.out_shape[1:] != (h, w):
        raise GridError(f"the forward convolution of a {oh}×{ow} grid gives {m.out_shape[1]}×{m.out_shape[2]}, "
                        f"not {h}×{w}")
    st.markdown(f"The convolution with the same kernel, stride, padding and dilation maps a {oh}×{ow} grid "
                f"(flattened: {oh * ow} numbers) to {h}×{w} ({h * w} numbers): it is the {h * w}×{oh * ow} matrix M "
                "below, mostly zeros (sparse connectivity) with the kernel's weights repeated on every row "
                "(parameter sharing). The transposed convolution is multiplication by Mᵀ.")
    row = store.get("step", 0) % (h * w)
    cols = [(row, c) for c in range(oh * ow) if m.matrix[row, c] != 0]
    st.plotly_chart(grid_figure([Panel(f"M ({h * w}×{oh * ow}): row {row} = input cell "
                                       f"({row // w}, {row % w}) of the scatter", m.matrix,
                                       outlines=[([(row, c) for c in range(oh * ow)], sty.target_colour)],
                                       fills=[(cols, sty.window_colour)], signed=True)], sty, cell_px=22),
                    key="tr_matrix", config={"displaylogo": False}, theme=None)
    st.plotly_chart(grid_figure([Panel(f"Mᵀ ({oh * ow}×{h * w})", m.matrix.T,
                                       outlines=[([(c, row) for c in range(oh * ow)], sty.target_colour)], signed=True)],
                                sty, cell_px=22), key="tr_matrix_t", config={"displaylogo": False}, theme=None)
    check = m.matrix.T @ res.input[0].ravel() + res.bias[0]
    st.success(f"Mᵀ · flatten(input) + bias equals the transposed convolution's output on all {check.size} cells "
               f"(largest difference {fmt(float(np.max(np.abs(check - res.output[0].ravel()))))}).",
               icon=":material/check_circle:")
except GridError as e:
    st.info(f"The matrix view needs a small configuration whose forward convolution maps back exactly: {e}.")
