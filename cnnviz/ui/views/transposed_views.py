"""The sections of the Transposed convolution page: formulas, the scatter, the direct convolution, the matrix view."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from cnnviz.errors import GridError
from cnnviz.grids.conv import ConvConfig
from cnnviz.grids.questions import conv_question, transposed_question, transposed_size_question
from cnnviz.grids.shapes import transposed_output_formula
from cnnviz.grids.text import grid_to_url
from cnnviz.grids.transposed import (
    TransposedConfig,
    TransposedResult,
    conv_matrix,
    overlap_counts,
    overlap_sentence,
    resize_convolution,
)
from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, answer_hidden, conv_step_panels, grid_figure, retitled
from cnnviz.present.number_format import fmt
from cnnviz.present.render import png_bytes, render_panels
from cnnviz.ui.charts import chart
from cnnviz.ui.exports import exports_held, gif_export, slide_button
from cnnviz.ui.grid_widgets import load_state, read_stepping, stepping_fragment
from cnnviz.ui.page import PageState, StepState
from cnnviz.urlstate import decode_array, fit_grid, number, pair_in, read_params

X0 = np.array([[1.0, 2], [3, 4]])
K0 = np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]])
CAPS = {"x": (6, "input"), "k": (5, "kernel")}  # largest side of each grid


@dataclass(kw_only=True, eq=False)
class TransposedState(PageState):
    """Input, kernel, stride, padding, output padding, dilation and bias; the scatter's stepper is the page's, the
    direct convolution's is `direct`."""

    name: str = "transposed"
    x: np.ndarray = field(default_factory=X0.copy)
    x_base: np.ndarray = field(default_factory=X0.copy)
    k: np.ndarray = field(default_factory=K0.copy)
    k_base: np.ndarray = field(default_factory=K0.copy)
    x_r: int = 2  # the shape boxes (set from the grids on every run)
    x_c: int = 2
    k_r: int = 3
    k_c: int = 3
    sh: int = 2
    sw: int = 2
    ph: int = 0
    pw: int = 0
    oph: int = 0
    opw: int = 0
    dh: int = 1
    dw: int = 1
    bias: float = 0.0
    direct: StepState = field(default_factory=lambda: StepState(name="tdirect"))

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"x": lambda t: decode_array(t, 2), "k": lambda t: decode_array(t, 2),
                                             "s": pair_in(1, 4), "p": pair_in(0, 4), "op": pair_in(0, 3),
                                             "d": pair_in(1, 3), "b": number})
        for name, (cap, what) in CAPS.items():
            if name in vals:
                vals[name], cut = fit_grid(vals[name], cap, cap, what)
                notices += [cut] if cut else []
        notices += read_stepping(params, self) + read_stepping(params, self.direct, "direct")
        new = self.values_of(("x", "k"))
        if "b" in vals:
            new["bias"] = vals["b"]
        for key, names in (("s", ("sh", "sw")), ("p", ("ph", "pw")), ("op", ("oph", "opw")), ("d", ("dh", "dw"))):
            if key in vals:
                new[names[0]], new[names[1]] = vals[key]
        new.update({k: vals[k] for k in ("x", "k") if k in vals})
        load_state(self, new)
        return notices

    def config(self) -> TransposedConfig:
        return TransposedConfig((self.sh, self.sw), (self.ph, self.pw), (self.oph, self.opw), (self.dh, self.dw))

    def link(self) -> dict[str, str]:
        """The view in use: the last result that computed (a wrong setting is not written into the link)."""
        res: TransposedResult | None = self.last_good
        if res is None:
            return {}
        cfg = res.config
        return {"x": grid_to_url(res.input[0]), "k": grid_to_url(res.weight[0, 0]),
                "s": f"{cfg.stride[0]},{cfg.stride[1]}", "p": f"{cfg.padding[0]},{cfg.padding[1]}",
                "op": f"{cfg.output_padding[0]},{cfg.output_padding[1]}",
                "d": f"{cfg.dilation[0]},{cfg.dilation[1]}", "b": f"{float(res.bias[0]):g}"}


def formulas(res: TransposedResult) -> None:
    """The output-size formula per axis with this configuration's numbers."""
    cfg = res.config
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
            col.code(transposed_output_formula(n, k, s, p, d, op), language=None, wrap_lines=True)
        st.markdown(f"Input {h}×{w} → output {oh}×{ow}. The scatter fills a {res.canvas.shape[1]}×{res.canvas.shape[2]} "
                    f"canvas; padding P crops P cells from each side of it (outlined in blue).")


def scatter_section(res: TransposedResult, store: TransposedState, sty: Style) -> None:
    """Each input cell scattering value × kernel onto the canvas, stepped, with the cropped border outlined."""
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
        chart(grid_figure(panels, sty), key="tr_fig", config={"displaylogo": False}, theme=None)
        if not answer_hidden():
            st.code(text, language=None, wrap_lines=True)
        if exports_held():
            return
        e1, e2, e3 = st.columns(3)
        e1.download_button("This view as PNG", lambda: png_bytes(render_panels(panels, sty, text)), file_name="transposed.png",
                           mime="image/png", icon=":material/image:")
        with e3:
            slide_button(f"Transposed convolution · input cell {i + 1} of {res.n_steps}",
                         lambda: render_panels(panels, sty), lambda: [text], "transposed_slide.png", "tr_slide")
        with e2:
            gif_export("Whole scatter as GIF", "tr_gif", (res.input.tobytes(), res.weight.tobytes(), res.bias.tobytes(),
                                                          str(res.config), sty), res.n_steps,
                       lambda n: render_panels(scatter_panels(n)[0], sty, scatter_panels(n)[1]), 800, "transposed.gif")


    if not sty.presentation:  # projected, the step view starts right under the page title
        st.subheader("Scatter, one input cell at a time")
    stepping_fragment(store, res.n_steps, "tr", scatter_view, unit="Input cell", ask=lambda i: transposed_question(res, i),
                      size=lambda: transposed_size_question(res))


def direct_section(res: TransposedResult, store: TransposedState, sty: Style) -> None:
    """The same canvas as a stride-1 convolution of the zero-inserted, padded input with the kernel rotated by 180°."""
    cfg = res.config
    kh, kw = res.weight.shape[2:]
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
        chart(grid_figure(panels, sty, cell_px=34), key="tr_direct_fig", config={"displaylogo": False}, theme=None)
        if not answer_hidden():
            st.code(ds.expression(), language=None, wrap_lines=True)


    stepping_fragment(store.direct, res.direct.n_steps, "tr_direct", direct_view, shortcuts=False, unit="Canvas cell",
                      url="direct", ask=lambda i: conv_question(res.direct, i, "canvas", "= canvas"))
    st.success(f"Direct convolution and scatter agree on all {res.canvas.size} canvas cells (largest difference "
               f"{fmt(float(np.max(np.abs(res.direct.output - res.canvas))))}).", icon=":material/check_circle:")


def overlap_section(res: TransposedResult, sty: Style, held: bool) -> None:
    """How many input cells write each output cell (the checkerboard of uneven overlap), and the resize-then-convolve
    upsampling Odena et al. (Distill 2016) recommend, on the same input and kernel."""
    st.subheader("Overlap: where the checkerboard comes from")
    _, h, w = res.input.shape
    kernel = (int(res.weight.shape[2]), int(res.weight.shape[3]))
    counts = overlap_counts(h, w, kernel, res.config)
    st.markdown(overlap_sentence(kernel, res.config))
    if held:  # a pending prediction: the grids' sizes and numbers would give its answers away
        return
    panels = [Panel("input cells writing each output cell", counts.astype(float))]
    try:
        resized = resize_convolution(res.input[0], res.weight[0, 0], res.config.stride)
    except GridError:
        resized = None
    if resized is not None:
        panels.append(Panel(f"resize ×{res.config.stride[0]}, then convolve", resized, signed=True))
    chart(grid_figure(panels, sty), key="tr_overlap", config={"displaylogo": False}, theme=None)
    st.caption("Right: nearest-neighbour resize by the stride, then an ordinary convolution with the same kernel "
               "('same' zero padding): every output cell reads the same number of cells, so a constant input stays "
               "constant away from the border — the upsampling Odena, Dumoulin & Olah recommend instead.")


def matrix_section(res: TransposedResult, store: TransposedState, sty: Style) -> None:
    """Convolution as a sparse matrix M and the transposed convolution as multiplication by Mᵀ, checked."""
    cfg = res.config
    h, w = res.input.shape[1:]
    oh, ow = res.output.shape[1:]
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
        row = store.step % (h * w)
        cols = [(row, c) for c in range(oh * ow) if m.matrix[row, c] != 0]
        chart(grid_figure([Panel(f"M ({h * w}×{oh * ow}): row {row} = input cell "
                                           f"({row // w}, {row % w}) of the scatter", m.matrix,
                                           outlines=[([(row, c) for c in range(oh * ow)], sty.target_colour)],
                                           fills=[(cols, sty.window_colour)], signed=True)], sty, cell_px=22),
                        key="tr_matrix", config={"displaylogo": False}, theme=None)
        chart(grid_figure([Panel(f"Mᵀ ({oh * ow}×{h * w})", m.matrix.T,
                                           outlines=[([(c, row) for c in range(oh * ow)], sty.target_colour)], signed=True)],
                                    sty, cell_px=22), key="tr_matrix_t", config={"displaylogo": False}, theme=None)
        check = m.matrix.T @ res.input[0].ravel() + res.bias[0]
        st.success(f"Mᵀ · flatten(input) + bias equals the transposed convolution's output on all {check.size} cells "
                   f"(largest difference {fmt(float(np.max(np.abs(check - res.output[0].ravel()))))}).",
                   icon=":material/check_circle:")
    except GridError as e:
        st.info(f"The matrix view needs a small configuration whose forward convolution maps back exactly: {e}.")
