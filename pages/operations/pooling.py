"""Pooling: max / average / sum / L2 with independent window and stride, stepped cell by cell."""
import streamlit as st

from cnnviz.grids import page_config
from cnnviz.grids.pool import POOL_MODES
from cnnviz.grids.presets import POOL_PRESETS
from cnnviz.grids.questions import pool_question, pool_size_question
from cnnviz.grids.shift import pool_shift, rotation_sentence
from cnnviz.grids.text import grid_to_csv
from cnnviz.present.figures import answer_hidden, pool_step_figure, pool_step_panels
from cnnviz.present.render import png_bytes, render_panels
from cnnviz.ui import grid_widgets as ug
from cnnviz.ui.charts import chart
from cnnviz.ui.exports import exports_held, gif_export, slide_button
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.pool_views import PoolState, formulas
from cnnviz.ui.predict_first import held_back, pending
from cnnviz.ui.settings import current
from cnnviz.ui.shift_views import learned_invariance_panel, shift_panel, take_shift, take_turn

sty = current().style
MODE_TITLES = {"max": "Max", "avg": "Average", "sum": "Sum", "l2": "L2 (√Σx²)"}
store = open_page(PoolState)

st.title("Pooling")
step_area, settings_area = ug.step_and_settings(
    "Each channel is pooled on its own: height and width shrink, depth stays. Window and stride are "
    "independent — a 3×3 window with stride 2 overlaps, as in AlexNet.")
with settings_area:
    c1, c2 = st.columns([4, 3], vertical_alignment="bottom")
    preset_box = c1.container()
    row = c2.container(horizontal=True)
    if row.button("Randomise", icon=":material/casino:"):
        store.randomise()
        st.rerun()
    if row.button("Clear", icon=":material/clear_all:"):
        store.clear()
        st.rerun()

    x, x3 = store.x, store.channels()
    col_x, col_hp = st.columns([5, 3], gap="medium")
    with col_x:
        a, b, c = st.columns(3)
        store.n_c, store.n_r, store.n_w = x3.shape
        n_c = ug.whole(a, "Channels", 1, 4, store, "n_c")
        n_r = ug.whole(b, "Rows", 1, page_config.LIMITS["2d"]["input"], store, "n_r")
        n_w = ug.whole(c, "Columns", 1, page_config.LIMITS["2d"]["input"], store, "n_w")
        if (n_c, n_r, n_w) != x3.shape:
            store.resize((n_c, n_r, n_w))
            st.rerun()
        if x.ndim == 3:
            for ch, tab in enumerate(st.tabs([f"channel {k}" for k in range(x.shape[0])])):
                with tab:
                    ug.grid_editor(store, "x", f"channel {ch}", (ch,))
        else:
            ug.grid_editor(store, "x", "input")
            ug.text_editor(store, "x", "input")
    with col_hp:
        ug.changed(store, "mode", st.segmented_control("Pooling", POOL_MODES, format_func=MODE_TITLES.get, required=True,
                                                    key=ug.widget(store, "mode")))
        a, b = st.columns(2)
        ug.whole(a, "Window rows", 1, 7, store, "kh")
        ug.whole(b, "Window cols", 1, 7, store, "kw")
        ug.whole(a, "Stride ↓", 1, 7, store, "sh", " (a stride of 0 would never move the window)")
        ug.whole(b, "Stride →", 1, 7, store, "sw", " (a stride of 0 would never move the window)")
        ug.whole(a, "Padding rows", 0, 3, store, "ph")
        ug.whole(b, "Padding cols", 0, 3, store, "pw")
        st.caption("Max-pooling pads with −∞ (padding is never chosen); average pooling counts padded zeros, as "
                   "PyTorch does by default. Ties go to the first maximum in reading order, like PyTorch.")
    # after every setting of this run: the preset the page still is
    ug.preset_picker(preset_box, POOL_PRESETS, list(POOL_PRESETS), page_config.pool_preset_of(store), store, "pool_preset",
                     page_config.pool_state_from_preset)

    result = ug.compute_or_last_good(store, lambda: page_config.compute_pool(store))
    take_shift(store)  # the shift panel's boxes are drawn below: their values go into this run's link
    take_turn(store)
    publish(store)

    cfg = result.config
    c_, h, w = result.input.shape
    _, oh, ow = result.output.shape
    if pending(store, pool_size_question(result)):
        held_back("The output size")
    else:
        formulas(result)


def _frame(i: int):
    s = result.step(i)
    return render_panels(pool_step_panels(result, s, sty), sty, caption=s.expression())


def stepping(i: int) -> None:
    step = result.step(i)
    fig = pool_step_figure(result, step, sty)
    event = chart(fig, on_select="rerun", selection_mode="points", key="pool_fig",
                            config={"displaylogo": False}, theme=None)
    click = ug.clicked_cell(event, store, "pool")
    if click and click[0] == "output":
        store.step = step.channel * oh * ow + click[1] * ow + click[2]
        store.playing = False
        st.rerun(scope="fragment")
    where = f"output[{step.channel}][{step.out_row}, {step.out_col}]" if c_ > 1 else \
        f"output[{step.out_row}, {step.out_col}]"
    st.markdown(f"**{where}**" + (" = ?  (predict it above)" if answer_hidden() else ""))
    if not answer_hidden():
        st.code(step.expression(), language=None, wrap_lines=True)
    if step.chosen is not None and not answer_hidden():
        r, q = step.cells[step.chosen]
        st.caption(f"The maximum sits at input row {r - cfg.padding[0]}, column {q - cfg.padding[1]} (highlighted).")
    if exports_held():
        return
    e1, e2, e3, e4 = st.columns(4)
    e1.download_button("Output as CSV", grid_to_csv(result.output[0] if c_ == 1 else result.output),
                       file_name="pooling_output.csv", mime="text/csv", icon=":material/table:")
    e2.download_button("This view as PNG", lambda: png_bytes(_frame(i)), file_name="pooling_step.png",
                       mime="image/png", icon=":material/image:")
    with e4:
        slide_button(f"Pooling · {where}", lambda: render_panels(pool_step_panels(result, step, sty), sty),
                     lambda: [step.expression()], "pooling_slide.png", "pool_slide")
    with e3:
        gif_export("Whole pass as GIF", "pool_gif", (grid_to_csv(result.input.reshape(-1, w)), cfg, sty),
                   result.n_steps, _frame, 700, "pooling.gif")


with step_area:
    ug.stepping_fragment(store, result.n_steps, "pool", stepping, ask=lambda i: pool_question(result, i),
                         size=lambda: pool_size_question(result))
shift_panel(store, lambda shift: pool_shift(result.input, cfg, shift), sty,
            extra=lambda: rotation_sentence(result.input, cfg),
            held=pending(store, pool_size_question(result)) or pending(store, pool_question(result, store.step)))
learned_invariance_panel(store, sty)
