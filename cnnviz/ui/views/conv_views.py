"""The sections of the Convolution page: kind and presets, grid editors, hyper-parameters, formulas, one step, a photo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np
import streamlit as st

from cnnviz.errors import GridError, ImageError
from cnnviz.grids import page_config
from cnnviz.grids.activations import ACTIVATIONS, INFO
from cnnviz.grids.conv import ConvResult
from cnnviz.grids.kernels import CLASSIC_KERNELS
from cnnviz.grids.photo_filter import filter_photo
from cnnviz.grids.presets import CONV_PRESETS
from cnnviz.grids.shapes import conv_output_formula
from cnnviz.grids.text import grid_to_csv
from cnnviz.images import MAX_PHOTO_MB, SAMPLE_PHOTOS, UPLOAD_TYPES, load_image, load_sample
from cnnviz.present.colours import Style
from cnnviz.present.figures import answer_hidden, conv_step_figure, conv_step_panels, shared_figure
from cnnviz.present.number_format import fmt
from cnnviz.present.render import png_bytes, render_panels
from cnnviz.ui.charts import chart
from cnnviz.ui.exports import exports_held, gif_export, slide_button
from cnnviz.ui.grid_widgets import (
    changed,
    clicked_cell,
    grid_editor,
    link_in_fragment,
    load_state,
    preset_picker,
    read_stepping,
    text_editor,
    whole,
    widget,
)
from cnnviz.ui.page import PageState, Parser
from cnnviz.ui.views.shift_views import read_shift, shift_link
from cnnviz.urlstate import flag

MODE_TITLES = {"2d": "2-D", "1d": "1-D sequence", "multi": "Multi-channel (3-D)"}


@dataclass(kw_only=True, eq=False)
class ConvState(PageState):
    """The Convolution page: kind, grids, every hyper-parameter and the step; the Backward page differentiates the
    same convolution."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = {"hide0": ("conv_hide_zero", flag)}

    name: str = "conv"
    mode: str
    preset: str | None = None  # the preset loaded last (a multi-channel preset too large to edit links by its name)
    x: np.ndarray
    x_base: np.ndarray
    k: np.ndarray
    k_base: np.ndarray
    bias: float | list[float]
    sh: int
    sw: int
    pad_kind: str
    pt: int
    pb: int
    pl: int
    pr: int
    pad_mode: str
    dh: int
    dw: int
    flip: bool
    act: str
    slope: float
    x_rows: int = 0  # the shape boxes (set from the grids on every run)
    x_cols: int = 0
    k_rows: int = 0
    k_cols: int = 0
    channels: int = 1
    filters: int = 1
    sel_input: tuple[int, int] | None = None  # the clicked input cell whose outputs are shown
    shift_dy: int = 0  # the "Shift the input" panel's shift (rows down, columns right)
    shift_dx: int = 0

    @classmethod
    def initial(cls) -> ConvState:
        """The lecture's worked example."""
        s = page_config.conv_state_from_preset("lecture_7x7")
        return cls(**s, x_base=s["x"].copy(), k_base=s["k"].copy())

    def read_link(self, params: dict[str, str]) -> list[str]:
        new, notices = page_config.conv_from_params(params, self.values_of(page_config.CONV_FIELDS))
        load_state(self, new)
        return notices + read_stepping(params, self) + read_shift(params, self)

    def link(self) -> dict[str, str]:
        return {**page_config.conv_to_params(self), **shift_link(self)}


def kind_and_preset(store: ConvState) -> Any:
    """Kind (2-D, 1-D, multi-channel), Randomise and Clear; returns the place of the preset box, which
    `conv_preset` fills once every setting of this run is in (it names the preset the page still is)."""
    c_mode, c_preset = st.columns([1, 1], vertical_alignment="top")
    with c_mode:
        mode = st.segmented_control("Kind", list(MODE_TITLES), format_func=MODE_TITLES.__getitem__, key=widget(store, "mode"),
                                    required=True)
        if mode != store.mode:
            load_state(store, page_config.conv_state_from_preset(next(k for k, p in CONV_PRESETS.items() if p.mode == mode)))
            st.rerun()
    box = c_preset.container()
    with c_preset:
        row = st.container(horizontal=True)
        if row.button("Randomise", icon=":material/casino:"):
            rng = np.random.default_rng()
            load_state(store, {"x": rng.integers(0, 10, np.shape(store["x"])).astype(float),
                               "k": rng.integers(-2, 3, np.shape(store["k"])).astype(float), "preset": None, "step": 0})
            st.rerun()
        if row.button("Clear", icon=":material/clear_all:"):
            load_state(store, {"x": np.zeros(np.shape(store["x"])), "preset": None, "step": 0})
            st.rerun()
    return box


def conv_preset(box: Any, store: ConvState) -> None:
    preset_picker(box, CONV_PRESETS, [k for k, p in CONV_PRESETS.items() if p.mode == store.mode],
                  page_config.conv_preset_of(store), store, "preset", page_config.conv_state_from_preset)

# widgets of the step view (inside its fragment) that a link carries: url key → (widget key, parser)
STRIDE_WHY = " (a stride of 0 would never move the window; the page steps strides up to 8)"
DILATION_WHY = " (dilation 1 is a plain kernel; the page spreads kernels up to 4 apart)"


def editable(store: ConvState) -> bool:
    """Whether the grids can be edited and drawn cell by cell (large multi-channel presets cannot)."""
    x_shape, k_shape = np.shape(store["x"]), np.shape(store["k"])
    return store.mode != "multi" or (max(x_shape[1:]) <= page_config.LIMITS["multi"]["input"]
                                        and x_shape[0] <= page_config.MAX_EDIT_CHANNELS
                                        and k_shape[0] <= page_config.MAX_EDIT_CHANNELS)


def grids(store: ConvState) -> None:
    """Grid sizes and editors for the input and the kernel (or a notice for presets too large to edit)."""
    x_shape, k_shape = np.shape(store["x"]), np.shape(store["k"])
    col_x, col_k = st.columns([3, 2], gap="large")
    if not editable(store):
        with col_x:
            st.info(f"This preset is too large to edit or draw cell by cell: input {' × '.join(map(str, x_shape))} "
                    f"(C×H×W), {k_shape[0]} filters of {' × '.join(map(str, k_shape[1:]))}. Its shapes, parameter count, "
                    "the arithmetic of the current cell and a sample of values are shown below.")
        return
    _resize(store, col_x, col_k)
    with col_x:
        if store.mode == "multi":
            for c, tab in enumerate(st.tabs([f"channel {c}" for c in range(x_shape[0])])):
                with tab:
                    grid_editor(store, "x", f"input channel {c}", (c,))
        else:
            st.markdown("**Input**")
            grid_editor(store, "x", "input")
            text_editor(store, "x", "input")
    with col_k:
        _kernel_editors(store, k_shape)


def _size_inputs(store: ConvState, name: str, cap: int, col, label: str) -> tuple[int, int]:
    """Rows/columns number inputs (or length for 1-D) that crop or zero-extend the grid."""
    shape = np.shape(store[name])
    r_key, c_key = f"{name}_rows", f"{name}_cols"
    store[r_key], store[c_key] = shape[-2], shape[-1]
    with col:
        if store.mode == "1d":
            return 1, int(whole(st, f"{label} length", 1, cap, store, c_key, f" (the page edits grids up to {cap})"))
        a, b = st.columns(2)
        rows = whole(a, f"{label} rows", 1, cap, store, r_key, f" (the page edits grids up to {cap}×{cap})")
        cols = whole(b, f"{label} columns", 1, cap, store, c_key, f" (the page edits grids up to {cap}×{cap})")
    return int(rows), int(cols)


def _resize(store: ConvState, col_x, col_k) -> None:
    """The size inputs (and, with several channels, C and F): a new size crops or zero-extends the grids."""
    multi, lim = store.mode == "multi", page_config.LIMITS[store.mode]
    x_shape, k_shape = np.shape(store["x"]), np.shape(store["k"])
    if multi:
        with col_x:
            a, b = st.columns(2)
            store.channels, store.filters = x_shape[0], k_shape[0]
            n_c = whole(a, "Input channels C", 1, page_config.MAX_EDIT_CHANNELS, store, "channels")
            n_f = whole(b, "Filters F", 1, page_config.MAX_EDIT_CHANNELS, store, "filters")
    rows, cols = _size_inputs(store, "x", lim["input"], col_x, "Input")
    krows, kcols = _size_inputs(store, "k", lim["kernel"], col_k, "Kernel")
    want_x: tuple[int, ...]
    want_k: tuple[int, ...]
    if multi:
        want_x, want_k = (int(n_c), rows, cols), (int(n_f), int(n_c), krows, kcols)
    else:
        want_x, want_k = (rows, cols), (krows, kcols)
    if want_x != x_shape or want_k != k_shape:
        x_new, k_new = page_config.resized(store.x, want_x), page_config.resized(store.k, want_k)
        bias = store["bias"]
        if multi:
            bias = (list(np.atleast_1d(bias)) + [0.0] * 8)[: want_k[0]]
        load_state(store, {"x": x_new, "k": k_new, "bias": bias, "preset": None, "step": 0})
        st.rerun()


def _kernel_editors(store: ConvState, k_shape: tuple) -> None:
    """The kernel: one slice per (filter, channel) with several channels; else one grid and the classic kernels."""
    if store.mode == "multi":
        for f, tab in enumerate(st.tabs([f"filter {f}" for f in range(k_shape[0])])):
            with tab:
                for c in range(k_shape[1]):
                    st.caption(f"slice for channel {c}")
                    grid_editor(store, "k", f"filter {f} channel {c}", (f, c))
        return
    st.markdown("**Kernel**")
    grid_editor(store, "k", "kernel")
    text_editor(store, "k", "kernel")
    if store.mode == "1d":
        return
    classic = st.selectbox("Classic kernels", list(CLASSIC_KERNELS), index=None, placeholder="Load a classic…",
                           format_func=lambda k: CLASSIC_KERNELS[k][0], key=f"classic_{store.version}")
    if classic:
        load_state(store, {"k": CLASSIC_KERNELS[classic][1], "preset": None, "step": 0})
        st.rerun()


def hyper_parameters(store: ConvState) -> None:
    """Stride, dilation, padding (kind, values, mode), flip, bias and activation, each remembered in the store."""
    multi, one_d = store.mode == "multi", store.mode == "1d"
    with st.container(border=True):
        st.markdown("**Hyper-parameters**")
        hp = st.columns([1, 1, 1.1, 1, 1.4, 1.4])
        if one_d:
            whole(hp[0], "Stride", 1, 8, store, "sw", STRIDE_WHY)
            whole(hp[1], "Dilation", 1, 4, store, "dw", DILATION_WHY)
        else:
            whole(hp[0], "Stride ↓ (rows)", 1, 8, store, "sh", STRIDE_WHY)
            whole(hp[0], "Stride → (cols)", 1, 8, store, "sw", STRIDE_WHY)
            whole(hp[1], "Dilation ↓", 1, 4, store, "dh", DILATION_WHY)
            whole(hp[1], "Dilation →", 1, 4, store, "dw", DILATION_WHY)
        changed(store, "pad_kind", hp[2].selectbox("Padding", page_config.PAD_KINDS, key=widget(store, "pad_kind"),
                                                   format_func=page_config.PAD_TITLES.__getitem__,
                                                   help="valid: none · 1, 2, 3: that many cells on every side · "
                                                        "same: output = ⌈N/S⌉ · full: D·(F−1) on each side · per "
                                                        "side: top, bottom, left and right apart"))
        changed(store, "pad_mode", hp[2].selectbox("Pad with", ["zeros", "reflect", "replicate"],
                                                   key=widget(store, "pad_mode")))
        if store["pad_kind"] == "explicit":
            sides = ("pl", "pr") if one_d else ("pt", "pb", "pl", "pr")
            names = {"pt": "Pad top", "pb": "Pad bottom", "pl": "Pad left", "pr": "Pad right"}
            for n, side in enumerate(sides):
                whole(hp[3], names[side], 0, 8, store, side)
        changed(store, "flip", hp[4].checkbox("Flip kernel", key=widget(store, "flip"),
                                            help="On: true convolution (kernel rotated 180°). Off: cross-correlation, what deep-learning libraries compute."))
        if not multi:
            changed(store, "bias", float(hp[4].number_input("Bias b", -100.0, 100.0, step=1.0, format="%g",
                                                            key=widget(store, "bias"))))
        else:
            bias = list(np.atleast_1d(store["bias"]).astype(float))
            if editable(store):
                for f in range(len(bias)):
                    key = f"w_{store.name}_bias{f}_{store.version}"  # starts from the state's bias of filter f
                    st.session_state.setdefault(key, bias[f])
                    bias[f] = float(hp[3 + f % 2].number_input(f"Bias of filter {f}", -100.0, 100.0, step=1.0, format="%g",
                                                               key=key))
            store["bias"] = bias
        changed(store, "act", hp[5].selectbox("Activation on the output", ACTIVATIONS, key=widget(store, "act"),
                                              format_func=lambda a: "none" if a == "none" else INFO[a].title))
        if store["act"] == "leaky_relu":
            changed(store, "slope", float(hp[5].number_input("Leaky slope α", 0.0, 1.0, step=0.01, format="%g",
                                                             key=widget(store, "slope"))))


def shapes_and_formulas(result: ConvResult, multi: bool, one_d: bool) -> None:
    """The output-size formulas with this convolution's numbers, the shapes, and the rows / columns never read."""
    f_, oh, ow = result.output.shape
    c_, h, w = result.input.shape
    kh, kw = result.weight.shape[2:]
    pad = result.padding
    with st.container(border=True):
        cols = st.columns(2 if not one_d else 1)
        if not one_d:
            cols[0].markdown("**Output rows** ⌊(N + 2P − D·(F−1) − 1)/S⌋ + 1")
            cols[0].code(conv_output_formula(h, kh, result.stride[0], result.dilation[0], *pad.rows), language=None,
                        wrap_lines=True)
        cols[-1].markdown("**Output columns** ⌊(N + 2P − D·(F−1) − 1)/S⌋ + 1" if not one_d
                          else "**Output length** ⌊(N + 2P − D·(F−1) − 1)/S⌋ + 1")
        cols[-1].code(conv_output_formula(w, kw, result.stride[1], result.dilation[1], *pad.cols), language=None,
                      wrap_lines=True)
        shape_text = (f"Input {c_}×{h}×{w} → output {f_}×{oh}×{ow} (F×H×W). Parameters: F × (C·kₕ·k_w + 1) = "
                      f"{f_} × ({c_}·{kh}·{kw} + 1) = **{result.n_params}**" if multi else
                      f"Input {w} → output {ow}." if one_d else f"Input {h}×{w} → output {oh}×{ow}.")
        if not pad.is_zero:
            shape_text += (f" Padding (top, bottom, left, right) = {pad.as_tuple()}, "
                           f"{'zeros' if result.config.pad_mode == 'zeros' else result.config.pad_mode}.")
        st.markdown(shape_text)
        if result.unvisited_rows or result.unvisited_cols:
            parts = []
            if result.unvisited_rows and not one_d:
                parts.append(f"rows {', '.join(map(str, result.unvisited_rows))}")
            if result.unvisited_cols:
                parts.append(f"{'positions' if one_d else 'columns'} {', '.join(map(str, result.unvisited_cols))}")
            st.warning(f"With this stride the window never reads input {' and '.join(parts)} (counting from 0): "
                       "their values cannot affect the output.", icon=":material/visibility_off:")


def step_view(result: ConvResult, store: ConvState, sty: Style, multi: bool, one_d: bool) -> Callable[[int], None]:
    """One output cell: the figure (click to jump / to see what an input feeds), its arithmetic, and the exports."""
    return partial(_step, result, store, sty, multi, one_d)


def _drawable(result: ConvResult) -> bool:
    return max(result.padded.shape[1:]) <= 24 and max(result.output.shape[1:]) <= 24


def _caption(result: ConvResult, step) -> str:
    return step.expression() if result.input.shape[0] == 1 else step.total_expression()


def _step(result: ConvResult, store: ConvState, sty: Style, multi: bool, one_d: bool, i: int) -> None:
    step = result.step(i)
    channel = 0
    if multi:
        channel = st.radio("Show input channel", list(range(result.input.shape[0])), horizontal=True,
                           key="conv_channel", format_func=lambda c: f"channel {c}") or 0
    if _drawable(result):
        _clickable_figure(result, step, store, sty, channel, i)
    f_ = result.output.shape[0]
    where = f"output[{step.filter}][{step.out_row}, {step.out_col}]" if f_ > 1 else (
        f"output[{step.out_col}]" if one_d else f"output[{step.out_row}, {step.out_col}]")
    _arithmetic(result, step, where)
    sel = store.sel_input
    if sel and _drawable(result):
        feeds = result.outputs_fed_by(*sel)
        st.info(f"Input cell (row {sel[0]}, col {sel[1]}) feeds {len(feeds)} output cell(s): "
                + (", ".join(f"({a}, {b})" for a, b in feeds) or "none — the window never reads it")
                + ". Click it again to clear.", icon=":material/call_split:")
    if not exports_held():  # the sample of values and the exports would show the answers
        _exports(result, step, sty, channel, where)


def _clickable_figure(result: ConvResult, step, store: ConvState, sty: Style, channel: int, i: int) -> None:
    """The step's figure: a click on an output cell jumps to its step, on an input cell shows what it feeds."""
    sel = store.sel_input
    fig = shared_figure(("conv step", result.fingerprint, i, channel, sel, sty),
                        lambda: conv_step_figure(result, step, sty, channel, sel))
    event = chart(fig, on_select="rerun", selection_mode="points", key="conv_fig",
                  config={"displaylogo": False, "toImageButtonOptions": {"filename": "convolution"}}, theme=None)
    click = clicked_cell(event, store, "conv")
    if not click:
        return
    kind, r, c = click
    _, h, w = result.input.shape
    if kind == "output":
        store.step = result.step_index(step.filter, r, c)
        store.playing = False
    elif kind == "input" and 0 <= r < h and 0 <= c < w:
        store.sel_input = None if store.sel_input == (r, c) else (r, c)
    st.rerun(scope="fragment")


def _arithmetic(result: ConvResult, step, where: str) -> None:
    """The output cell's sum in numbers (held back while its prediction is pending)."""
    if answer_hidden():
        st.markdown(f"**{where}** = ?  (predict it above: its arithmetic appears when you check)")
    elif result.input.shape[0] == 1:
        hide_zero = bool(st.session_state.get("conv_hide_zero", False))  # its toggle sits under the sum
        st.markdown(f"**{where}** = Σ input × kernel + bias")
        st.code(step.expression(skip_zero_weights=hide_zero), language=None, wrap_lines=True)
        st.toggle("Hide products with a zero weight", key="conv_hide_zero",
                  on_change=link_in_fragment("hide0", "conv_hide_zero"))
    else:
        st.markdown(f"**{where}** = Σ over channels of (Σ input × kernel) + bias")
        st.code("\n".join(step.channel_expressions() + ["total: " + step.total_expression()]), language=None,
                wrap_lines=True)
    pads_in_window = sum(t.is_padding for t in step.terms)
    if pads_in_window:
        st.caption(f"{pads_in_window} of the {len(step.terms)} window cells are padding (grey).")


def _exports(result: ConvResult, step, sty: Style, channel: int, where: str) -> None:
    """The output as CSV; drawn grids also as PNG, a slide and the whole pass as a GIF."""
    f_ = result.output.shape[0]
    if not _drawable(result):
        st.markdown("**Sample of output values** (top-left corner of each of the first 3 filters)")
        for f in range(min(3, f_)):
            st.caption(f"filter {f}: " + "; ".join(" ".join(fmt(v) for v in row) for row in result.output[f, :4, :6]))
    e1, e2, e3, e4 = st.columns(4)
    e1.download_button("Output as CSV", grid_to_csv(result.output[0] if f_ == 1 else result.output),
                       file_name="convolution_output.csv", mime="text/csv", icon=":material/table:")
    if not _drawable(result):
        return

    def panels(s, c: int) -> list:
        return conv_step_panels(result, s, sty, c)

    e2.download_button("This view as PNG", lambda: png_bytes(render_panels(panels(step, channel), sty,
                                                                           caption=_caption(result, step))),
                       file_name="convolution_step.png", mime="image/png", icon=":material/image:")
    with e4:
        slide_button(f"Convolution · {where}", lambda: render_panels(panels(step, channel), sty),
                     lambda: [_caption(result, step)], "convolution_slide.png", "conv_slide")
    with e3:
        gif_export("Whole pass as GIF", "conv_gif", (result.fingerprint, sty), result.n_steps,
                   lambda n: render_panels(panels(result.step(n), 0), sty, caption=_caption(result, result.step(n))),
                   600, "convolution.gif")


def kernels_on_a_photo(result: ConvResult, sty: Style, one_d: bool) -> None:
    """The same stride, padding and dilation applied to a real photo, drawn only while the section is open."""
    if not one_d:
        # Drawn only while open: filtering and encoding the photo is a sixth of a full rerun of this page.
        photo_box = st.expander("Kernels on a real photo", icon=":material/photo:", key="conv_photo_open",
                                on_change="rerun")
        with photo_box:
            if photo_box.open:
                st.caption("The same stride, padding and dilation, applied to the grey-scale photo (float luminance 0–255).")
                a, b, c = st.columns([2, 2, 3])
                source = a.radio("Photo", ["Sample", "Upload"], horizontal=True, key="photo_src")
                photo = None
                if source == "Sample":
                    title = a.selectbox("Sample photo", list(SAMPLE_PHOTOS), key="photo_sample")
                    photo = load_sample(title)
                else:
                    up = a.file_uploader("Your photo", type=UPLOAD_TYPES, max_upload_size=MAX_PHOTO_MB, key="photo_upload")
                    if up is not None:
                        try:
                            photo = load_image(up.getvalue(), up.name)
                        except ImageError as e:
                            st.error(str(e))
                options = ["current"] + list(CLASSIC_KERNELS)
                which = b.selectbox("Kernel", options, key="photo_kernel",
                                    format_func=lambda k: "the kernel above" if k == "current" else CLASSIC_KERNELS[k][0])
                kernel = result.weight[0, 0] if which == "current" else CLASSIC_KERNELS[which][1]
                if photo is not None:
                    try:
                        fm = filter_photo(photo, kernel, result.config, sty)
                        p1, p2 = st.columns(2)
                        p1.image(fm.photo, alt="The photo the kernels are applied to", caption=f"photo, {fm.photo.shape[1]}×{fm.photo.shape[0]} px", width="stretch")
                        p2.image(fm.image, alt=f"The kernel's feature map of the photo, {fm.values.shape[1]}×{fm.values.shape[0]}", caption=f"feature map {fm.values.shape[1]}×{fm.values.shape[0]} · "
                                                  f"range {fmt(fm.values.min())} … {fmt(fm.values.max())}"
                                                  + (" (signed: blue < 0 < red)" if fm.signed else ""), width="stretch")
                    except GridError as e:
                        st.error(str(e))
