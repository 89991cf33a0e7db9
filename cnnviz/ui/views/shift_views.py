"""The "Shift the input" panel of the Convolution and Pooling pages: shift the grid, see f(shift(x)) beside the
shifted output and f(x), where they agree and why they do not (the engine: cnnviz.grids.shift)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from cnnviz.errors import CnnvizError
from cnnviz.grids.invariance import LEARNED_TURNS, TURNS, learned_invariance, learned_sentence, notes_pool_figure
from cnnviz.grids.shift import MAX_SHIFT, ShiftComparison, parse_shift, shift_question
from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, grid_figure
from cnnviz.ui import predict_first
from cnnviz.ui.charts import chart
from cnnviz.ui.grid_widgets import changed, take_widget, whole, widget
from cnnviz.ui.page import PageState
from cnnviz.urlstate import choice, read_params

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
    while the stepper's question is open (`held`: its outputs would give the answer away), and in predict mode until
    the learner has said whether the strongest output cell keeps its value."""
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
        q = shift_question(res)
        if q is not None and predict_first.enabled() and not predict_first.ask(store, f"{store.name}_shift", [q]):
            return  # predict first: the shifted outputs answer the question
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


def read_turn(params: dict[str, str], state: PageState) -> list[str]:
    """`turn=0|90|180|270` from a link: the learned-invariance panel's rotation."""
    vals, notices = read_params(params, {"turn": choice(tuple(str(t) for t in TURNS))})
    if "turn" in vals:
        state["turn"] = int(vals["turn"])
    return notices


def take_turn(state: PageState) -> None:
    """The turn control sits below the point where the page writes its link: its new value is taken first."""
    value = st.session_state.get(f"w_{state.name}_turn_{state.version}")
    if value in TURNS:
        state["turn"] = int(value)


def turn_link(state: PageState) -> dict[str, str]:
    return {"turn": str(state["turn"])} if state["turn"] else {}


def notes_pool_panel(sty: Style) -> None:
    """The notes' max-pooling figure, recomputed: the detector stage moved one cell, the pooled stage mostly not."""
    fig = notes_pool_figure()
    kept = [(0, j) for j in range(fig.pooled.size) if np.isclose(fig.pooled[j], fig.pooled_shifted[j])]
    panels = [Panel("detector stage", fig.detector[None]), Panel("max-pooled", fig.pooled[None],
                                                                 outlines=[(kept, sty.feed_colour)]),
              Panel("shifted right by 1", fig.shifted[None]), Panel("max-pooled ", fig.pooled_shifted[None],
                                                                    outlines=[(kept, sty.feed_colour)])]
    st.markdown("**The notes' figure, recomputed** (detector stage → max pooling of width 3, stride 1; outlined: "
                "pooled values the shift did not change)")
    chart(grid_figure(panels, sty), config={"displaylogo": False, "staticPlot": True}, key="notes_pool_fig",
          theme=None)
    st.markdown(fig.sentence())


def learned_invariance_panel(store: PageState, sty: Style) -> None:
    """Three detectors of one stroke at three rotations, pooled across: turn the stroke and watch which detector
    answers, and whether the pooled unit changes (the notes' "Learned invariances")."""
    with st.expander("The notes' invariance figures, computed: max pooling and learned rotations",
                     icon=":material/rotate_right:", expanded=bool(store["turn"])):
        notes_pool_panel(sty)
        st.markdown("**Learned invariance** (the notes' second figure)")
        st.caption("Pooling over space gives no rotation invariance; a network *learns* it by keeping one detector "
                   "per rotation and pooling across them (a max over channels). Kernels: +1 on the stroke, −1 off it.")
        turn = changed(store, "turn", st.segmented_control(
            "Turn the stroke by", TURNS, format_func=lambda t: f"{t}°", required=True, key=widget(store, "turn")))
        res = learned_invariance(int(turn))
        tops = [(list(zip(*np.nonzero(m == m.max()), strict=True)), sty.target_colour) for m in res.maps]
        row1 = [Panel("input", res.input[0])] + [Panel(f"detector {k + 1} ({t}°)", res.kernels[k, 0])
                                                 for k, t in enumerate(LEARNED_TURNS)]
        row2 = [Panel(f"map {k + 1}", res.maps[k], outlines=[tops[k]]) for k in range(len(LEARNED_TURNS))]
        row2.append(Panel("max over the 3", res.across))
        for k, panels in enumerate((row1, row2)):
            chart(grid_figure(panels, sty), config={"displaylogo": False, "staticPlot": True},
                  key=f"{store.name}_learned_{k}", theme=None)
        st.markdown(learned_sentence(res))
