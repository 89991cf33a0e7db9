"""The Activations page's state and its link, and its cell-by-cell step view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import streamlit as st

from cnnviz.grids.activations import INFO, activation_derivative, apply_activation, cell_arithmetic
from cnnviz.grids.text import grid_to_url
from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, answer_hidden, grid_figure
from cnnviz.present.number_format import fmt
from cnnviz.present.render import render_panels
from cnnviz.ui.charts import chart
from cnnviz.ui.exports import exports_held, slide_button
from cnnviz.ui.grid_widgets import load_state, read_stepping
from cnnviz.ui.page import PageState
from cnnviz.urlstate import choice, decode_array, fit_grid, number, read_params

LECTURE_RELU = np.array([[-2, 3, -1], [4, -5, 6], [-7, 8, -9]], dtype=float)
MAX_SIDE = 16


@dataclass(kw_only=True, eq=False)
class ActState(PageState):
    """The grid the activation is applied to, the function and Leaky ReLU's slope."""

    name: str = "act"
    x: np.ndarray = field(default_factory=LECTURE_RELU.copy)
    x_base: np.ndarray = field(default_factory=LECTURE_RELU.copy)
    fn: str = "relu"
    slope: float = 0.1

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"fn": choice(tuple(INFO)), "slope": number,
                                             "x": lambda t: decode_array(t, 2)})
        if "x" in vals:
            vals["x"], cut = fit_grid(vals["x"], MAX_SIDE, MAX_SIDE, "grid")
            notices += [cut] if cut else []
        load_state(self, {**self.values_of(("x", "fn", "slope")), **vals}, grids=("x",))
        return notices + read_stepping(params, self)

    def new_input(self, x: np.ndarray) -> None:
        load_state(self, {"x": x}, grids=("x",))

    def randomise(self) -> None:
        self.new_input(np.random.default_rng().normal(0, 4, (4, 5)).round(1))

    def link(self) -> dict[str, str]:
        return {"fn": self.fn, "x": grid_to_url(self.x), **({"slope": str(self.slope)} if self.fn == "leaky_relu" else {})}


def cell_view(fn: str, x: np.ndarray, slope: float, sty: Style) -> Callable[[int], None]:
    """One cell at a time: x, f(x) and f'(x) on three grids, the cell's arithmetic, and its slide."""
    return partial(_cell, fn, x, slope, sty)


def _cell(fn: str, x: np.ndarray, slope: float, sty: Style, i: int) -> None:
    info = INFO[fn]
    r, c = divmod(i, x.shape[1])
    here = [([(r, c)], sty.target_colour)]
    panels = [Panel("input x", x, outlines=here), Panel(f"{info.title}(x)", apply_activation(fn, x, slope),
                                                        outlines=here),
              Panel("derivative at x", activation_derivative(fn, x, slope), outlines=here)]
    chart(grid_figure(panels, sty), config={"displaylogo": False}, key="act_grids", theme=None)
    value, derivative = cell_arithmetic(fn, float(x[r, c]), slope)
    if answer_hidden():
        st.markdown(f"**{info.title}({fmt(float(x[r, c]))})** = ?  (predict it above)")
        return
    st.code(f"cell ({r}, {c}): {value}\n{' ' * len(f'cell ({r}, {c}): ')}{derivative}", language=None,
            wrap_lines=True)
    if exports_held():
        return
    slide_button(f"Activations · {info.title}, cell ({r}, {c})", lambda: render_panels(panels, sty),
                 lambda: [value, derivative], f"{fn}_slide.png", "act_slide")
