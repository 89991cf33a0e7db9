"""Convolution: editable grids, every hyper-parameter, stepped cell by cell with real numbers."""
import streamlit as st

from cnnviz.grids import page_config
from cnnviz.grids.questions import conv_question, conv_size_question
from cnnviz.grids.shift import conv_shift
from cnnviz.ui.grid_widgets import compute_or_last_good, step_and_settings, stepping_fragment
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.predict_first import held_back, pending
from cnnviz.ui.settings import current
from cnnviz.ui.views.conv_views import (
    ConvState,
    conv_preset,
    grids,
    hyper_parameters,
    kernels_on_a_photo,
    kind_and_preset,
    shapes_and_formulas,
    step_view,
)
from cnnviz.ui.views.shift_views import shift_panel, take_shift

settings = current()
sty = settings.style
store = open_page(ConvState)

st.title("Convolution")
step_area, settings_area = step_and_settings(
    "Type numbers into the grids, choose the hyper-parameters, then step through the output cells. "
    "Click an output cell to jump to it; click an input cell to see which outputs it feeds.")
with settings_area:
    preset_box = kind_and_preset(store)
    multi, one_d = store.mode == "multi", store.mode == "1d"
    grids(store)
    hyper_parameters(store)
    conv_preset(preset_box, store)  # after every setting of this run: the preset the page still is
    if store.flip:
        st.info("**Flip on:** a true convolution rotates the kernel by 180° before sliding it; deep-learning layers "
                "(PyTorch's `conv2d`) slide it unflipped, which is cross-correlation. The kernel panel below shows "
                "the flipped kernel actually applied.", icon=":material/flip:")
    result = compute_or_last_good(store, lambda: page_config.compute_conv(store))  # or keep the last good one
    take_shift(store)  # the shift panel's boxes are drawn below: their values go into this run's link
    publish(store)
    if pending(store, conv_size_question(result)):
        held_back("The output size")
    else:
        shapes_and_formulas(result, multi, one_d)
with step_area:
    stepping_fragment(store, result.n_steps, "conv", step_view(result, store, sty, multi, one_d),
                      ask=lambda i: conv_question(result, i), size=lambda: conv_size_question(result))
if not one_d:
    shift_panel(store, lambda shift: conv_shift(result.input, result.weight, result.config, shift, result.bias), sty,
                held=pending(store, conv_size_question(result)) or pending(store, conv_question(result, store.step)))
kernels_on_a_photo(result, sty, one_d)
