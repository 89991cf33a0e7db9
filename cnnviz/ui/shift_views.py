"""The "Shift the input" panel of the Convolution and Pooling pages: shift the grid, see f(shift(x)) beside the
shifted output and f(x), where they agree and why they do not (the engine: cnnviz.grids.shift)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from cnnviz.errors import CnnvizError
from cnnviz.grids.shift import MAX_SHIFT, ShiftComparison, parse_shift
from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, grid_figure
from cnnviz.ui.charts import chart
from cnnviz.ui.grids import take_widget, whole
from cnnviz.ui.page import PageState
from cnnviz.urlstate import read_params

WHY = " (the panel shifts by up to 3 cells each way)"


def read_shift(params: dict[str, str], state: PageState) -> list[str]:
    """`shift=DY,DX` from a link (a bad value keeps no shift, with a notice)."""
    vals, notices = read_params(params, {"shift": parse_shift})
    if "shift" in vals:
        state["shift_dy"], state["shift_dx"] = vals["shift"]
    return notices


def take_shift(state: PageState) -> None:
    """The panel's boxes sit below the point where the page writes its link: their new values are taken first."""
    for name in ("shift_dy", "shift_dx"):
        take_widget(state, name, -MAX_SHIFT, MAX_SHIFT)


def shift_link(state: PageState) -> dict[str, str]:
    dy, dx = state["shift_dy"], state["shift_dx"]
    return {"shift": f"{dy},{dx}"} if (dy, dx) != (0, 0) else {}


def shift_panel(store: PageState, compare: Callable[[tuple[int, int]], ShiftComparison], sty: Style,
                extra: Callable[[], str] | None = None, held: bool = False) -> None:
    """Two shift boxes, then the four grids (first channel, first filter) and the comparison in words — held back
    while the stepper's question is open (`held`: its outputs would give the answer away)."""
    shifted = (store["shift_dy"], store["shift_dx"]) != (0, 0)
    with st.expander("Shift the input: equivariance and invariance", expanded=shifted,
                     icon=":material/open_with:"):
        a, b, note = st.columns([1, 1, 4], vertical_alignment="bottom")
        dy = whole(a, "Shift ↓ (rows)", -MAX_SHIFT, MAX_SHIFT, store, "shift_dy", WHY)
        dx = whole(b, "Shift → (columns)", -MAX_SHIFT, MAX_SHIFT, store, "shift_dx", WHY)
        note.caption("Cells shifted in are zeros (grey). Equivariance: f(shift(x)) equals f(x) shifted by the "
                     "shift ÷ stride. Invariance: f(shift(x)) equals f(x).")
        if held:
            st.caption("The shifted outputs wait until the step's prediction above is answered (predict first).")
            return
        try:
            res = compare((dy, dx))
        except CnnvizError as e:
            st.warning(str(e), icon=":material/block:")
            return
        chart(grid_figure(_panels(res, sty), sty), config={"displaylogo": False, "staticPlot": True},
              key=f"{store.name}_shift_fig", theme=None)
        st.markdown(res.summary())
        reasons = res.reasons()
        if reasons:
            st.markdown("\n".join(f"- **{n} cell{'s' if n != 1 else ''}**: {why}" for why, n in reasons.items()))
        if extra is not None:
            st.markdown(extra())


def _panels(res: ShiftComparison, sty: Style) -> list[Panel]:
    dy, dx = res.shift
    panels = [Panel(f"x shifted by ({dy}, {dx})", res.input_shifted[0],  # as short as the other titles: projected
                    pad_mask=res.came_in),
              Panel("f(shift(x))", res.f_of_shifted[0], outlines=[(_cells(res.agree, False), sty.target_colour)]
                    if res.agree is not None else [])]
    if res.shifted_f is not None and res.output_shift is not None:
        ody, odx = res.output_shift
        panels.append(Panel(f"f(x) shifted by ({ody}, {odx})", res.shifted_f[0]))
    panels.append(Panel("f(x)", res.output[0], outlines=[(_cells(res.unchanged, True), sty.feed_colour)]))
    return panels


def _cells(mask: np.ndarray | None, value: bool) -> list[tuple[int, int]]:
    if mask is None:
        return []
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(mask[0] == value), strict=True)]
