"""Backward pass: gradients of convolution, ReLU and pooling, stepped with real numbers."""
import numpy as np
import streamlit as st

from cnnviz.errors import GridError
from cnnviz.grids import views
from cnnviz.present.numbers import fmt
from cnnviz.ui.backward_views import conv_tab, pool_tab, read_link, relu_tab
from cnnviz.ui.grids import (
    load_state,
    page_store,
    read_stepping,
    read_url_once,
    step_and_settings,
)
from cnnviz.ui.settings import current
from cnnviz.urlstate import decode_array

sty = current().style
conv = page_store("conv", views.default_conv_store)
pool = page_store("pool", views.default_pool_store)
store = page_store("backward", lambda: {"version": 0, "scatter": {}, "gather": {}, "weight": {}, "poolstep": {}})
for sub in ("scatter", "gather", "weight", "poolstep"):
    store[sub].setdefault("_name", sub)


def _from_url(params: dict) -> list[str]:
    notices = [n for sub in ("scatter", "gather", "weight", "poolstep") for n in read_stepping(params, store[sub], sub)]
    if any(k in params for k in ("x", "k", "preset", "mode")):
        new, notices = views.conv_from_params(params, {k: conv[k] for k in conv if not k.startswith("_")})
        load_state(conv, new)
    if params.get("g"):
        try:
            store["g_url"] = decode_array(params["g"], 3)
        except (GridError, ValueError) as e:
            notices.append(f"URL parameter g ignored ({e}); using all ones.")
    return notices + read_link(params)


read_url_once("backward", _from_url)

st.title("Backward pass")
step_area, settings_area = step_and_settings(
    "Backpropagation through a convolution, a ReLU and a pooling layer: where each gradient number comes "
    "from, written out. The forward convolution is the one on the Convolution page.")
with settings_area:
    try:
        fwd = views.compute_conv(conv)
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

    # ---- upstream gradient ------------------------------------------------------------------
    if store.get("g_shape") != fwd.output.shape:
        g0 = store.pop("g_url", None)
        g0 = g0 if g0 is not None and g0.shape == fwd.output.shape else np.ones(fwd.output.shape)
        store["g_shape"] = fwd.output.shape
        load_state(store, {"g": g0}, grids=("g",))

    tab_conv, tab_relu, tab_pool = st.tabs(["Convolution", "ReLU", "Max / average pooling"])

    grad = conv_tab(tab_conv, fwd, conv, store, sty, step_area)

    relu_tab(tab_relu, fwd, grad, sty)

    pool_tab(tab_pool, pool, store, sty)
