"""The Pooling page's state (and its link) and its pieces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz.grids import page_config
from cnnviz.grids.pool import PoolResult
from cnnviz.grids.shapes import pool_output_formula
from cnnviz.ui.grid_widgets import load_state, read_stepping
from cnnviz.ui.page import PageState
from cnnviz.ui.shift_views import read_shift, read_turn, shift_link, turn_link


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
