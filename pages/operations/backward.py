"""Backward pass: gradients of convolution, ReLU and pooling, stepped with real numbers."""
import streamlit as st

from cnnviz.errors import GridError
from cnnviz.grids import page_config
from cnnviz.present.number_format import fmt
from cnnviz.ui.grid_widgets import step_and_settings
from cnnviz.ui.page import open_page, publish, state_of
from cnnviz.ui.settings import current
from cnnviz.ui.views.backward_views import BACKWARD_TABS, BackwardState, conv_tab, pool_tab, relu_tab
from cnnviz.ui.views.conv_views import ConvState
from cnnviz.ui.views.pool_views import PoolState

sty = current().style
store = open_page(BackwardState)
conv, pool = state_of(ConvState), state_of(PoolState)  # the forward pass: the Convolution and Pooling pages' own

st.title("Backward pass")
step_area, settings_area = step_and_settings(
    "Backpropagation through a convolution, a ReLU and a pooling layer: where each gradient number comes "
    "from, written out. The forward convolution is the one on the Convolution page.")
with settings_area:
    try:
        fwd = page_config.compute_conv(conv)
    except GridError as e:
        st.error(f"The Convolution page's configuration cannot be computed ({e}). Fix it there.")
        st.page_link("pages/operations/convolution.py", label="Open the Convolution page", icon=":material/grid_on:")
        st.stop()

    c_, h, w = fwd.input.shape
    f_, oh, ow = fwd.output.shape
    kh, kw = fwd.weight.shape[2:]
    pad = fwd.padding
    with st.container(border=True):
        a, b = st.columns([5, 2], vertical_alignment="center")
        a.markdown(f"**Forward:** input {c_}×{h}×{w}, kernel {f_}×{c_}×{kh}×{kw}"
                   + (" (flipped)" if fwd.config.flip else "")
                   + f", stride {fwd.stride[0]}×{fwd.stride[1]}, padding {pad.as_tuple()} ({fwd.config.pad_mode}), "
                   f"dilation {fwd.dilation[0]}×{fwd.dilation[1]}, bias {', '.join(fmt(v) for v in fwd.bias)}"
                   + (f", activation {fwd.config.activation}" if fwd.config.activation != "none" else "")
                   + f" → output {f_}×{oh}×{ow}.")
        b.page_link("pages/operations/convolution.py", label="Change it on the Convolution page", icon=":material/edit:")

    store.fit_gradient(fwd.output.shape)  # the upstream gradient

    tab_conv, tab_relu, tab_pool = st.tabs(list(BACKWARD_TABS), key="bw_tab", on_change="rerun")  # linked

    grad = conv_tab(tab_conv, fwd, store, sty, step_area)
    publish(store)  # before the pooling tab, which stops the page when the Pooling page's settings do not compute

    relu_tab(tab_relu, fwd, grad, sty)

    pool_tab(tab_pool, pool, store, sty)
