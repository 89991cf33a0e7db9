"""Activation functions on a grid, with each function, its derivative and where it saturates."""
import streamlit as st

from cnnviz.grids.activations import (
    INFO,
    apply_activation,
    cells_without_gradient,
    saturation_threshold,
)
from cnnviz.grids.questions import activation_question
from cnnviz.grids.text import grid_to_csv
from cnnviz.present.figures import activation_figure
from cnnviz.present.number_format import fmt
from cnnviz.ui.charts import chart
from cnnviz.ui.grid_widgets import (
    changed,
    grid_editor,
    step_and_settings,
    stepping_fragment,
    text_editor,
    widget,
)
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.predict_first import result_held
from cnnviz.ui.settings import current
from cnnviz.ui.views.activation_views import LECTURE_RELU, ActState, cell_view

sty = current().style
store = open_page(ActState)

st.title("Activations")
step_area, settings_area = step_and_settings(
    "A non-linearity is applied to every cell on its own; the shape never changes. Its derivative is what "
    "backpropagation multiplies by — where it is near zero, the unit has stopped learning.")
with step_area:
    c1, c2, c3 = st.columns([5, 2, 3], vertical_alignment="bottom")
    changed(store, "fn", c1.segmented_control("Function", list(INFO), format_func=lambda k: INFO[k].title,
                                              required=True, key=widget(store, "fn")))
    if store.fn == "leaky_relu":
        changed(store, "slope", float(c2.number_input("Slope α", 0.0, 1.0, step=0.01, format="%g",
                                                      key=widget(store, "slope"))))
    row = c3.container(horizontal=True)
    if row.button("Lecture example"):
        store.new_input(LECTURE_RELU)
        st.rerun()
    if row.button("Randomise", icon=":material/casino:"):
        store.randomise()
        st.rerun()

fn, slope = store.fn, store.slope
info = INFO[fn]
with settings_area:
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.markdown("**Input grid**")
        x = grid_editor(store, "x", "input")
        text_editor(store, "x", "input")
    with right:
        st.markdown(f"**{info.title}(x) = {info.formula}** · derivative: "
                    + info.derivative.replace("α", f"α = {fmt(slope)}" if fn == "leaky_relu" else "α"))
        chart(activation_figure(fn, sty, slope, x_range=max(6.0, float(abs(x).max()) + 1), points=x),
              config={"displaylogo": False}, key="act_curve")
        thr = saturation_threshold(fn)
        st.caption(info.saturation + (f" Here the derivative drops below 0.01 once |x| > {fmt(thr, 2)}." if thr else ""))

y = apply_activation(fn, x, slope)
with step_area:
    stepping_fragment(store, x.size, "act", cell_view(fn, x, slope, sty), ask=lambda i: activation_question(fn, info.title, x, i, slope))
    blocked = cells_without_gradient(fn, x)
    if thr is not None:
        st.markdown(f"**{blocked} of {x.size}** cells are saturated (|x| > {fmt(thr, 2)}): almost no gradient flows "
                    "back through them.")
    elif blocked is not None:
        st.markdown(f"**{blocked} of {x.size}** cells are ≤ 0: ReLU passes no gradient back through them.")
    if not result_held("The output's CSV export"):
        st.download_button("Output as CSV", grid_to_csv(y), file_name=f"{fn}_output.csv", mime="text/csv",
                           icon=":material/table:")
publish(store)
