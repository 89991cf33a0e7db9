"""Pooling: max / average / sum / L2 with independent window and stride, stepped cell by cell."""
import streamlit as st

from cnnviz.grids import page_config
from cnnviz.grids.pool import POOL_MODES
from cnnviz.grids.presets import POOL_PRESETS
from cnnviz.grids.questions import pool_question, pool_size_question
from cnnviz.grids.shift import pool_shift, rotation_sentence
from cnnviz.ui import grid_widgets as ug
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.predict_first import held_back, pending
from cnnviz.ui.settings import current
from cnnviz.ui.views.pool_views import PoolState, formulas, step_view
from cnnviz.ui.views.shift_views import learned_invariance_panel, shift_panel, take_shift, take_turn

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
    if pending(store, pool_size_question(result)):
        held_back("The output size")
    else:
        formulas(result)

with step_area:
    ug.stepping_fragment(store, result.n_steps, "pool", step_view(result, store, sty), ask=lambda i: pool_question(result, i),
                         size=lambda: pool_size_question(result))
shift_panel(store, lambda shift: pool_shift(result.input, cfg, shift), sty,
            extra=lambda: rotation_sentence(result.input, cfg),
            held=pending(store, pool_size_question(result)) or pending(store, pool_question(result, store.step)))
learned_invariance_panel(store, sty)
