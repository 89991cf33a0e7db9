"""The Pooling page's state (and its link) and its pieces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st

from cnnviz.grids import page_config
from cnnviz.grids.pool import PoolResult
from cnnviz.grids.shapes import pool_output_formula
from cnnviz.grids.text import grid_to_csv
from cnnviz.present.colours import Style
from cnnviz.present.figures import answer_hidden, pool_step_figure, pool_step_panels
from cnnviz.present.render import png_bytes, render_panels
from cnnviz.ui.charts import chart
from cnnviz.ui.exports import exports_held, gif_export, slide_button
from cnnviz.ui.grid_widgets import clicked_cell, load_state, read_stepping
from cnnviz.ui.page import PageState
from cnnviz.ui.views.shift_views import read_shift, read_turn, shift_link, turn_link


@dataclass(kw_only=True, eq=False)
class PoolState(PageState):
    """The Pooling page: its input (1–4 channels), window, stride, padding and mode; the Backward page's pooling
    tab pools the same."""

    name: str = "pool"
    x: np.ndarray
    x_base: np.ndarray
    kh: int
    kw: int
    sh: int
    sw: int
    ph: int
    pw: int
    mode: str
    n_c: int = 1  # the shape boxes (set from x on every run)
    n_r: int = 0
    n_w: int = 0
    shift_dy: int = 0  # the "Shift the input" panel's shift (rows down, columns right)
    shift_dx: int = 0
    turn: int = 0  # the learned-invariance panel's rotation of the stroke (degrees)

    @classmethod
    def initial(cls) -> PoolState:
        s = page_config.pool_state_from_preset("lecture_4x4")
        return cls(**s, x_base=s["x"].copy())

    def read_link(self, params: dict[str, str]) -> list[str]:
        new, notices = page_config.pool_from_params(params, self.values_of(page_config.POOL_FIELDS))
        load_state(self, new, grids=("x",))
        return notices + read_stepping(params, self) + read_shift(params, self) \
            + read_turn(params, self)  # the speed (the step is checked above)

    def link(self) -> dict[str, str]:
        return {**page_config.pool_to_params(self), **shift_link(self), **turn_link(self)}

    def channels(self) -> np.ndarray:
        """The input as channels × rows × columns (a single channel is kept as a 2-D grid)."""
        return self.x if self.x.ndim == 3 else self.x[None]

    def new_input(self, x: np.ndarray) -> None:
        load_state(self, {"x": x, "step": 0}, grids=("x",))

    def randomise(self) -> None:
        self.new_input(np.random.default_rng().integers(0, 10, self.x.shape).astype(float))

    def clear(self) -> None:
        self.new_input(np.zeros(self.x.shape))

    def resize(self, shape: tuple[int, int, int]) -> None:
        """Channels, rows and columns as the boxes say: cells kept where they still are, new ones 0."""
        new = page_config.resized(self.channels(), shape)
        self.new_input(new if shape[0] > 1 else new[0])


def formulas(result: PoolResult) -> None:
    """The output-size formula per axis with this configuration's numbers, and whether windows overlap."""
    cfg = result.config
    c_, h, w = result.input.shape
    _, oh, ow = result.output.shape
    with st.container(border=True):
        a, b = st.columns(2)
        a.markdown("**Output rows** ⌊(N + 2P − K)/S⌋ + 1")
        a.code(pool_output_formula(h, cfg.window[0], cfg.stride[0], cfg.padding[0]), language=None, wrap_lines=True)
        b.markdown("**Output columns** ⌊(N + 2P − K)/S⌋ + 1")
        b.code(pool_output_formula(w, cfg.window[1], cfg.stride[1], cfg.padding[1]), language=None, wrap_lines=True)
        overlap = cfg.stride[0] < cfg.window[0] or cfg.stride[1] < cfg.window[1]
        st.markdown(f"Input {c_}×{h}×{w} → output {c_}×{oh}×{ow} (depth kept). "
                    + ("Windows **overlap** (stride < window)." if overlap else "Windows do not overlap."))


def step_view(result: PoolResult, store: PoolState, sty: Style) -> Callable[[int], None]:
    """One output cell: the window (click an output cell to jump to it), its arithmetic, and the exports."""
    return partial(_step, result, store, sty)


def _frame(result: PoolResult, sty: Style, i: int):
    s = result.step(i)
    return render_panels(pool_step_panels(result, s, sty), sty, caption=s.expression())


def _step(result: PoolResult, store: PoolState, sty: Style, i: int) -> None:
    step = result.step(i)
    event = chart(pool_step_figure(result, step, sty), on_select="rerun", selection_mode="points", key="pool_fig",
                  config={"displaylogo": False}, theme=None)
    click = clicked_cell(event, store, "pool")
    if click and click[0] == "output":
        store.step, store.playing = result.step_index(step.channel, click[1], click[2]), False
        st.rerun(scope="fragment")
    c_ = result.input.shape[0]
    where = f"output[{step.channel}][{step.out_row}, {step.out_col}]" if c_ > 1 else \
        f"output[{step.out_row}, {step.out_col}]"
    st.markdown(f"**{where}**" + (" = ?  (predict it above)" if answer_hidden() else ""))
    if not answer_hidden():
        st.code(step.expression(), language=None, wrap_lines=True)
    if step.chosen is not None and not answer_hidden():
        r, q = step.cells[step.chosen]
        pad = result.config.padding
        st.caption(f"The maximum sits at input row {r - pad[0]}, column {q - pad[1]} (highlighted).")
    if exports_held():
        return
    e1, e2, e3, e4 = st.columns(4)
    e1.download_button("Output as CSV", grid_to_csv(result.output[0] if c_ == 1 else result.output),
                       file_name="pooling_output.csv", mime="text/csv", icon=":material/table:")
    e2.download_button("This view as PNG", lambda: png_bytes(_frame(result, sty, i)), file_name="pooling_step.png",
                       mime="image/png", icon=":material/image:")
    with e4:
        slide_button(f"Pooling · {where}", lambda: render_panels(pool_step_panels(result, step, sty), sty),
                     lambda: [step.expression()], "pooling_slide.png", "pool_slide")
    with e3:
        gif_export("Whole pass as GIF", "pool_gif", (grid_to_csv(result.input.reshape(-1, result.input.shape[2])),
                                                     result.config, sty),
                   result.n_steps, partial(_frame, result, sty), 700, "pooling.gif")
