"""Activation functions on a grid, with each function, its derivative and where it saturates."""
import streamlit as st

from cnnviz.grids.activations import (
    INFO,
    activation_derivative,
    apply_activation,
    cell_arithmetic,
    cells_without_gradient,
    saturation_threshold,
)
from cnnviz.grids.questions import activation_question
from cnnviz.grids.text import grid_to_csv
from cnnviz.present.figures import Panel, activation_figure, answer_hidden, grid_figure
from cnnviz.present.number_format import fmt
from cnnviz.present.render import render_panels
from cnnviz.ui.activation_views import LECTURE_RELU, ActState
from cnnviz.ui.charts import chart
from cnnviz.ui.exports import exports_held, slide_button
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
dy = activation_derivative(fn, x, slope)


def cell_view(i: int) -> None:
    r, c = divmod(i, x.shape[1])
    here = [([(r, c)], sty.target_colour)]
    chart(grid_figure([Panel("input x", x, outlines=here), Panel(f"{info.title}(x)", y, outlines=here),
                       Panel("derivative at x", dy, outlines=here)], sty),
          config={"displaylogo": False}, key="act_grids", theme=None)
    value, derivative = cell_arithmetic(fn, float(x[r, c]), slope)
    if answer_hidden():
        st.markdown(f"**{info.title}({fmt(float(x[r, c]))})** = ?  (predict it above)")
        return
    st.code(f"cell ({r}, {c}): {value}\n{' ' * len(f'cell ({r}, {c}): ')}{derivative}", language=None,
            wrap_lines=True)
    if exports_held():
        return
    slide_button(f"Activations · {info.title}, cell ({r}, {c})",
                 lambda: render_panels([Panel("input x", x, outlines=here), Panel(f"{info.title}(x)", y, outlines=here),
                                        Panel("derivative at x", dy, outlines=here)], sty),
                 lambda: [value, derivative], f"{fn}_slide.png", "act_slide")


with step_area:
    stepping_fragment(store, x.size, "act", cell_view, ask=lambda i: activation_question(fn, info.title, x, i, slope))
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
