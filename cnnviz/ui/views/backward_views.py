"""The tabs of the Backward pass page: convolution (scatter and gather), ReLU and pooling gradients."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import ClassVar

import numpy as np
import streamlit as st

from cnnviz.errors import GridError
from cnnviz.grids import page_config
from cnnviz.grids.backward import ConvGradResult, conv_backward, pool_backward, relu_backward
from cnnviz.grids.conv import ConvResult
from cnnviz.grids.questions import conv_question, scatter_question, weight_question
from cnnviz.grids.text import grid_to_csv
from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, answer_hidden, conv_step_panels, grid_figure, retitled
from cnnviz.present.number_format import fmt
from cnnviz.present.render import png_bytes, render_panels
from cnnviz.ui.charts import chart
from cnnviz.ui.exports import exports_held, gif_export, slide_button
from cnnviz.ui.grid_widgets import clamp_widget, grid_editor, load_state, read_stepping, stepping_fragment
from cnnviz.ui.page import PageState, Parser, StepState, state_of
from cnnviz.ui.predict_first import result_held
from cnnviz.ui.settings import start
from cnnviz.ui.views.conv_views import ConvState
from cnnviz.ui.views.pool_views import PoolState
from cnnviz.urlstate import choice, decode_array, encode_array, int_in

EDITABLE_CELLS = 256  # per filter: a 16×16 ∂L/∂Y is still typed into; larger ones are set by presets


POOL_GRADIENTS = ("ones", "ascending", "random")


BACKWARD_TABS = ("Convolution", "ReLU", "Max / average pooling")  # the tab a learner is on travels in the link


@dataclass(kw_only=True, eq=False)
class BackwardState(PageState):
    """The upstream gradient ∂L/∂Y and the four steppers; the forward convolution and pooling are the Convolution
    and Pooling pages' states."""

    # the one-hot cell and the pooling tab's upstream gradient: url key → (widget key, parser)
    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = {
        "hot_f": ("hot_f", int_in(0, 63)), "hot_r": ("hot_r", int_in(0, 999)), "hot_c": ("hot_c", int_in(0, 999)),
        "pool_g": ("bw_pool_g", choice(POOL_GRADIENTS)), "tab": ("bw_tab", choice(BACKWARD_TABS))}
    STEPPERS: ClassVar[tuple[str, ...]] = ("scatter", "gather", "weight", "poolstep")

    name: str = "backward"
    g: np.ndarray = field(default_factory=lambda: np.ones((1, 1, 1)))
    g_base: np.ndarray = field(default_factory=lambda: np.ones((1, 1, 1)))
    g_shape: tuple[int, ...] | None = None  # the forward output's shape that g was made for
    g_url: np.ndarray | None = None  # a linked ∂L/∂Y, used once the forward output's shape is known
    scatter: StepState = field(default_factory=lambda: StepState(name="scatter"))
    gather: StepState = field(default_factory=lambda: StepState(name="gather"))
    weight: StepState = field(default_factory=lambda: StepState(name="weight"))
    poolstep: StepState = field(default_factory=lambda: StepState(name="poolstep"))

    def read_link(self, params: dict[str, str]) -> list[str]:
        notices = [n for sub in self.STEPPERS for n in read_stepping(params, self[sub], sub)]
        if any(k in params for k in ("x", "k", "preset", "mode")):
            conv = state_of(ConvState)
            new, notices = page_config.conv_from_params(params, conv.values_of(page_config.CONV_FIELDS))
            load_state(conv, new)
        if params.get("g"):
            try:
                self.g_url = decode_array(params["g"], 3)
            except (GridError, ValueError) as e:
                notices.append(f"URL parameter g ignored ({e}); using all ones.")
        return notices

    def fit_gradient(self, shape: tuple[int, ...]) -> None:
        """∂L/∂Y for a forward output of this shape: the linked one if it fits, else all ones (a new shape only)."""
        if self.g_shape != shape:
            g0, self.g_url = self.g_url, None
            g0 = g0 if g0 is not None and g0.shape == shape else np.ones(shape)
            self.g_shape = shape
            load_state(self, {"g": g0}, grids=("g",))

    def link(self) -> dict[str, str]:
        return {**page_config.conv_to_params(state_of(ConvState)), "g": encode_array(np.asarray(self.g, dtype=float))}


def conv_tab(tab_conv, fwd: ConvResult, store: BackwardState, sty: Style, step_area=None) -> ConvGradResult:
    """The convolution's gradients: upstream ∂L/∂Y, ∂L/∂X as scatter and as gather (the same numbers), ∂L/∂W per shared weight, ∂L/∂b."""
    with tab_conv:
        _upstream(fwd, store)
        grad = conv_backward(fwd, store.g)
        if fwd.config.activation != "none":
            st.info(f"The forward pass ends in {fwd.config.activation}: ∂L/∂Y is first multiplied by its derivative "
                    "at each output (see the ReLU tab for the mask); the grids below use that product.")
        c_ = fwd.input.shape[0]
        channel = 0
        if c_ > 1:
            channel = st.radio("Show input channel", list(range(c_)), horizontal=True, key="bw_channel",
                               format_func=lambda c: f"channel {c}")
        _grad_input(fwd, grad, store, channel, sty, step_area)
        st.subheader("∂L/∂W — one shared weight, used at every position")
        stepping_fragment(store.weight, grad.n_weight_steps, "bw_weight", partial(_weight_view, fwd, grad, sty),
                          shortcuts=False, unit="Weight", url="weight", ask=lambda i: weight_question(grad, i))
        st.subheader("∂L/∂b")
        st.code("\n".join(grad.bias_expression(f) for f in range(fwd.output.shape[0])), language=None, wrap_lines=True)
        if not result_held("The CSV exports of ∂L/∂X and ∂L/∂W"):
            kh, kw = fwd.weight.shape[2:]
            e1, e2 = st.columns(2)
            e1.download_button("∂L/∂X as CSV", grid_to_csv(grad.grad_input[0] if c_ == 1 else grad.grad_input),
                               file_name="grad_input.csv", mime="text/csv", icon=":material/table:")
            e2.download_button("∂L/∂W as CSV", grid_to_csv(grad.grad_weight.reshape(-1, kh, kw)),
                               file_name="grad_weight.csv", mime="text/csv", icon=":material/table:")
    return grad


def _upstream(fwd: ConvResult, store: BackwardState) -> None:
    """∂L/∂Y: typed cell by cell (small grids) or set by a preset (all ones, random, one-hot at a cell)."""
    f_, oh, ow = fwd.output.shape
    st.subheader("Upstream gradient ∂L/∂Y")
    st.caption("What the layer above sends back: one number per output cell. Edit it, or pick a preset.")
    left, right = st.columns([3, 2])
    with right:
        row = st.container(horizontal=True)
        if row.button("All ones", key="bw_g_ones"):
            load_state(store, {"g": np.ones(fwd.output.shape)}, grids=("g",))
            st.rerun()
        if row.button("Random", icon=":material/casino:", key="bw_g_random"):
            load_state(store, {"g": np.random.default_rng().integers(-3, 4, fwd.output.shape).astype(float)},
                       grids=("g",))
            st.rerun()
        oc = st.columns(3, vertical_alignment="bottom")
        for key, hi in (("hot_f", f_ - 1), ("hot_r", oh - 1), ("hot_c", ow - 1)):
            clamp_widget(key, hi)  # a linked cell past a smaller output's edge
        hot_f = oc[0].number_input("filter", 0, f_ - 1, key="hot_f", **start("hot_f", 0)) if f_ > 1 else 0
        hot_r = oc[1].number_input("row", 0, oh - 1, key="hot_r", **start("hot_r", 0))
        hot_c = oc[2].number_input("col", 0, ow - 1, key="hot_c", **start("hot_c", 0))
        if st.button("One-hot at this cell", key="bw_g_onehot"):
            g1 = np.zeros(fwd.output.shape)
            g1[hot_f, hot_r, hot_c] = 1.0
            load_state(store, {"g": g1}, grids=("g",))
            st.rerun()
    with left:
        if oh * ow > EDITABLE_CELLS:  # 10×32×32 numbers are not typed by hand: presets, and a summary
            g_now = np.asarray(store.g)
            st.info(f"∂L/∂Y is {f_}×{oh}×{ow} = {g_now.size:,} numbers — too many to type: use a preset. "
                    f"Now: min {fmt(g_now.min())}, max {fmt(g_now.max())}, mean {fmt(g_now.mean())}; the "
                    "figures below show the part around each step.", icon=":material/grid_view:")
        elif f_ == 1:
            grid_editor(store, "g", "∂L/∂Y", (0,))
        else:
            for f, tab in enumerate(st.tabs([f"filter {f}" for f in range(f_)])):
                with tab:
                    grid_editor(store, "g", f"∂L/∂Y filter {f}", (f,))


def _grad_input(fwd: ConvResult, grad: ConvGradResult, store: BackwardState, channel: int, sty: Style,
                step_area) -> None:
    """∂L/∂X twice, stepped side by side — scatter and gather — and the whole result."""
    st.subheader("∂L/∂X — scatter and gather give the same numbers")
    diff = float(np.max(np.abs(grad.gather.output - grad.grad_padded)))
    st.success(f"Scatter and gather agree on all {grad.grad_padded.size} cells of the padded input "
               f"(largest difference {fmt(diff)}).", icon=":material/check_circle:")
    # side by side on a screen; one above the other on a projector, where the numbers must stay large
    col_s, col_g = st.columns(2, gap="large") if not sty.presentation else (st.container(), st.container())
    # projected, the scatter is the page's step view, right under the title (step_area)
    with step_area if sty.presentation and step_area is not None else col_s:
        st.markdown("**Scatter:** each output gradient g spreads g × kernel back onto its window.")
        stepping_fragment(store.scatter, grad.n_scatter_steps, "bw_scatter",
                          partial(_scatter_view, fwd, grad, channel, sty), shortcuts=True,
                          ask=lambda i: scatter_question(grad, i, channel), unit="Output cell", url="scatter")
    with col_g:
        st.markdown("**Gather:** each input cell collects from every window that read it — a full convolution "
                    "with the 180°-rotated kernel.")
        stepping_fragment(store.gather, grad.gather.n_steps, "bw_gather", partial(_gather_view, fwd, grad, sty),
                          shortcuts=False, ask=lambda i: conv_question(grad.gather, i, "∂L/∂X (padded)", "∂L/∂X"),
                          unit="Input cell", url="gather")
    st.markdown("**∂L/∂X** (padding removed" + (", padding gradients folded back onto the cells they copy"
                                                  if fwd.config.pad_mode != "zeros" else "") + ")")
    c_ = fwd.input.shape[0]
    if not result_held("The whole ∂L/∂X"):
        chart(grid_figure([Panel("∂L/∂X" + (f" channel {c}" if c_ > 1 else ""), grad.grad_input[c], signed=True)
                           for c in range(c_)], sty), key="bw_gx", config={"displaylogo": False}, theme=None)


def _scatter_view(fwd: ConvResult, grad: ConvGradResult, channel: int, sty: Style, i: int) -> None:
    """Scatter step i: output gradient g times the kernel, added onto its window of ∂L/∂X."""
    pad, f_ = fwd.padding, fwd.output.shape[0]
    s = grad.scatter_step(i)
    window = [(r, q) for (c, r, q) in s.cells if c == channel]
    panels = [
        Panel("∂L/∂Y" + (f" filter {s.filter}" if f_ > 1 else ""), grad.grad_pre[s.filter],
              outlines=[([(s.out_row, s.out_col)], sty.target_colour)]),
        Panel("kernel" + (" (flipped)" if fwd.config.flip else ""), fwd.applied_kernel[s.filter, channel],
              signed=True),
        Panel("∂L/∂X so far<br>(padded)" if not pad.is_zero else "∂L/∂X<br>so far", s.running[channel],
              fwd.pad_mask if not pad.is_zero else None, outlines=[(window, sty.window_colour)],
              row_offset=pad.top, col_offset=pad.left, signed=True),
    ]
    chart(grid_figure(panels, sty, cell_px=None if sty.presentation else 34), key="bw_scatter_fig",
          config={"displaylogo": False}, theme=None)
    if not answer_hidden():
        st.code(s.expression(channel), language=None, wrap_lines=True)
    if exports_held():
        return
    slide_button(f"Backward pass · scatter, output cell {i + 1} of {grad.n_scatter_steps}",
                 lambda: render_panels(panels, sty), lambda: [s.expression(channel)], "backward_slide.png",
                 "bw_scatter_slide")

    def frame(n: int):
        sn = grad.scatter_step(n)
        return render_panels([Panel("∂L/∂Y", grad.grad_pre[sn.filter],
                                    outlines=[([(sn.out_row, sn.out_col)], sty.target_colour)]),
                              Panel("∂L/∂X so far", sn.running[channel], fwd.pad_mask, signed=True)], sty)

    gif_export("Scatter pass as GIF", "bw_scatter_gif", (fwd.fingerprint, grad.grad_output.tobytes(), channel, sty),
               grad.n_scatter_steps, frame, 700, "scatter.gif")


def _gather_view(fwd: ConvResult, grad: ConvGradResult, sty: Style, i: int) -> None:
    """Gather step i: one cell of ∂L/∂X as a full convolution of ∂L/∂Y with the rotated kernel."""
    pad, (_, h, w) = fwd.padding, fwd.input.shape
    gs = grad.gather.step(i)
    panels = retitled(conv_step_panels(grad.gather, gs, sty, 0), "∂L/∂Y dilated,<br>padded", "kernel<br>↻180°",
                      "∂L/∂X<br>(padded)")
    panels[0].signed = panels[2].signed = True
    chart(grid_figure(panels, sty, cell_px=None if sty.presentation else 34), key="bw_gather_fig",
          config={"displaylogo": False}, theme=None)
    where = f"∂L/∂X[{gs.out_row - pad.top}, {gs.out_col - pad.left}]"
    in_pad = not (0 <= gs.out_row - pad.top < h and 0 <= gs.out_col - pad.left < w)
    if answer_hidden():
        return
    st.code((f"{where} = " if not in_pad else "padding cell: ")
            + (gs.expression(skip_zero_weights=False) if grad.gather.input.shape[0] == 1
               else gs.total_expression()), language=None, wrap_lines=True)
    if in_pad and fwd.config.pad_mode != "zeros":
        st.caption(f"With {fwd.config.pad_mode} padding, a padding cell copies an input cell, so its gradient "
                   "is added to that cell in the final ∂L/∂X below.")
    if exports_held():
        return
    st.download_button("This view as PNG", lambda: png_bytes(render_panels(panels, sty, gs.expression())),
                       file_name="gather.png", mime="image/png", icon=":material/image:", key="bw_gather_png")


def _weight_view(fwd: ConvResult, grad: ConvGradResult, sty: Style, i: int) -> None:
    """Weight step i: one shared weight's gradient, summed over every position it was used at."""
    pad, c_, f_ = fwd.padding, fwd.input.shape[0], fwd.output.shape[0]
    ws = grad.weight_step(i)
    used = [(r, q) for (_, _, r, q, _, _) in ws.terms]
    panels = [
        Panel(f"input channel {ws.channel} (padded)" if not pad.is_zero else f"input channel {ws.channel}",
              fwd.padded[ws.channel], fwd.pad_mask if not pad.is_zero else None, outlines=[(used, sty.window_colour)],
              row_offset=pad.top, col_offset=pad.left),
        Panel("∂L/∂Y" + (f" filter {ws.filter}" if f_ > 1 else ""), grad.grad_pre[ws.filter], signed=True),
        Panel("∂L/∂W" + (f" filter {ws.filter}, slice {ws.channel}" if f_ * c_ > 1 else ""),
              grad.grad_weight[ws.filter, ws.channel], outlines=[([(ws.ki, ws.kj)], sty.target_colour)], signed=True),
    ]
    chart(grid_figure(panels, sty, cell_px=36), key="bw_weight_fig", config={"displaylogo": False}, theme=None)
    note = (f" (the flip puts this weight at kernel position ({ws.flipped_from[0]}, {ws.flipped_from[1]}) "
            "when applied)" if ws.flipped_from else "")
    st.markdown(f"**∂L/∂W[{ws.ki}, {ws.kj}]** = Σ over all {len(ws.terms)} positions of input × g{note}")
    if not answer_hidden():
        st.code(ws.expression(), language=None, wrap_lines=True)


def relu_tab(tab_relu, fwd: ConvResult, grad: ConvGradResult, sty: Style) -> None:
    """ReLU backward: the upstream gradient passes where the input was positive (the mask)."""
    f_ = fwd.output.shape[0]
    with tab_relu:
        st.markdown("ReLU passes the gradient where its input was positive and blocks it everywhere else "
                    "(at exactly 0 it passes nothing, as PyTorch does). Shown for the convolution's output "
                    "before any activation, with the upstream gradient above.")
        rg = relu_backward(fwd.pre_activation, grad.grad_output)
        for f in range(f_):
            chart(grid_figure([Panel("input to ReLU (Y)", rg.pre[f]), Panel("mask: Y > 0", rg.mask[f]),
                                         Panel("∂L/∂(ReLU output)", rg.grad_output[f], signed=True),
                                         Panel("∂L/∂Y = g × mask", rg.grad_input[f], signed=True)], sty, cell_px=34),
                            key=f"bw_relu_{f}", config={"displaylogo": False}, theme=None)
        st.caption(f"{int((rg.mask == 0).sum())} of {rg.mask.size} cells block the gradient.")


def pool_tab(tab_pool, pool: PoolState, store: BackwardState, sty: Style) -> None:
    """Pooling backward: max routes each gradient to its window's arg-max, average spreads it; overlaps add."""
    with tab_pool:
        try:
            pfwd = page_config.compute_pool(pool)
        except GridError as e:
            st.error(f"The Pooling page's configuration cannot be computed ({e}).")
            st.stop()
        pc, ph_, pw_ = pfwd.output.shape
        st.markdown(f"The pooling of the **Pooling page**: {pfwd.config.mode} pooling, window "
                    f"{pfwd.config.window[0]}×{pfwd.config.window[1]}, stride {pfwd.config.stride[0]}×{pfwd.config.stride[1]}"
                    + (" (overlapping)" if pfwd.config.stride[0] < pfwd.config.window[0] else "") + ".")
        st.page_link("pages/operations/pooling.py", label="Change it on the Pooling page", icon=":material/edit:")
        gsel = st.segmented_control("Upstream gradient", POOL_GRADIENTS, key="bw_pool_g", required=True,
                                    **start("bw_pool_g", "ascending", "default"))
        gp = {"ones": np.ones(pfwd.output.shape),
              "ascending": np.arange(1, pfwd.output.size + 1, dtype=float).reshape(pfwd.output.shape),
              "random": np.random.default_rng(7).integers(-3, 4, pfwd.output.shape).astype(float)}[gsel]
        pg = pool_backward(pfwd, gp)
        multi = np.argwhere(pg.receivers[0] > 1)
        if len(multi):
            st.warning(f"{len(multi)} input cell(s) receive gradient from several windows (outlined): their "
                       "contributions add up.", icon=":material/call_merge:")

        def pool_view(i: int) -> None:
            s = pg.step(i)
            (kh_, kw_), (sh_, sw_), (pph, ppw) = pfwd.config.window, pfwd.config.stride, pfwd.config.padding
            window = [(s.out_row * sh_ + a - pph, s.out_col * sw_ + b - ppw) for a in range(kh_) for b in range(kw_)]
            window = [(r, q) for r, q in window if 0 <= r < pfwd.input.shape[1] and 0 <= q < pfwd.input.shape[2]]
            shared = [tuple(x) for x in np.argwhere(pg.receivers[s.channel] > 1)]
            panels = [
                Panel("forward input", pfwd.input[s.channel], outlines=[(window, sty.window_colour)],
                      fills=[(list(s.cells), sty.target_colour)]),
                Panel("∂L/∂(pool output)", pg.grad_output[s.channel], outlines=[([(s.out_row, s.out_col)], sty.target_colour)],
                      signed=True),
                Panel("∂L/∂X so far", s.running[s.channel], outlines=[(shared, sty.feed_colour)], signed=True),
            ]
            chart(grid_figure(panels, sty, cell_px=38), key="bw_pool_fig", config={"displaylogo": False}, theme=None)
            st.code(s.expression(pfwd.config.mode), language=None, wrap_lines=True)

        stepping_fragment(store.poolstep, pg.n_steps, "bw_pool", pool_view, shortcuts=False, unit="Window", url="poolstep")
        st.download_button("Pooling ∂L/∂X as CSV", grid_to_csv(pg.grad_input[0] if pc == 1 else pg.grad_input),
                           file_name="pool_grad_input.csv", mime="text/csv", icon=":material/table:")
