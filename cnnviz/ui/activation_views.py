"""The Activations page's state and its link."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnviz.grids.activations import INFO
from cnnviz.grids.text import grid_to_url
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
