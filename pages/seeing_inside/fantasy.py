"""Fantasy images: pictures optimised to excite a class, a channel or a single unit."""

import streamlit as st

from cnnviz.devices import device_name, resolve_device
from cnnviz.explain import fantasy as fa
from cnnviz.networks import probe as ins
from cnnviz.ui.model_choice import pick_network
from cnnviz.ui.own_network import own_network_panel
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.settings import current, start
from cnnviz.ui.views import fantasy_views as fv

settings = current()
store = open_page(fv.FantasyState)
MAX_GALLERY = 16

st.title("Fantasy images")
st.caption("Start from noise and change the picture, step by step, so that a chosen class, channel or unit fires as "
           "strongly as possible. The picture lives in Fourier space — by default only the phase (and the colour "
           "balance) changes and the magnitude stays a fixed smooth fall-off (MACO) — and each step sees it zoomed, "
           "jittered and rotated, so what survives is what the unit really responds to, not a trick of single pixels.")

device, notice = resolve_device(settings.device)
c1, c2, c3 = st.columns([2, 3, 2])
net = pick_network(c1, store, "fa_model", accept=lambda n: not n.takes_digits and n.input_size[0] == 3, available_only=True,
                   help="★ marks classifiers trained in this session on the Training page: try one of your classes")
model = net.key
with c1:
    own_network_panel("fa")  # a .pt2 of your own: offered (★) in the picker above once opened
mode = c2.segmented_control("Objective", ["channel", "unit", "class", "gallery"], required=True,
                            key="fa_mode", **start("fa_mode", "channel", "default"), format_func={"channel": "a channel", "unit": "one unit", "class": "a class",
                                                        "gallery": "gallery"}.__getitem__,
                            help="gallery: one picture for each of a layer's first channels, side by side",
                            on_change=fv.mode_defaults)
c3.caption(f"Runs on **{device_name(device)}**" + (f" — {notice}" if notice else ""))

layers = [i for i in ins.layers(net) if i.shape[1] > 1 and i.kind in ("ReLU", "ReLU6", "add (residual)",
                                                               "concatenate (branches)", "Conv")]
default_layer = next((k for k, i in enumerate(layers) if i.node == store.layer), len(layers) // 2)
layer = channel = unit = class_index = None
if mode != "class":
    info = st.selectbox("Layer", layers, index=default_layer, format_func=lambda i: i.label, key=f"fa_layer_{model}")
    l2, l3, _ = st.columns([1, 1, 2])  # the layer's long name gets the whole row above
    layer = store.layer = info.node
    if mode == "gallery":
        n_gallery = int(l2.number_input("Channels", 2, MAX_GALLERY, key="fa_n", **start("fa_n", 8)))
    else:
        channel = int(l2.number_input(f"Channel (0–{info.shape[0] - 1})", 0, info.shape[0] - 1, key="fa_channel",
                                      **start("fa_channel", 11 % info.shape[0])))
    if mode == "unit":
        unit = (int(l3.number_input("Unit row", 0, info.shape[1] - 1, key="fa_row", **start("fa_row", info.shape[1] // 2))),
                int(l3.number_input("Unit column", 0, info.shape[2] - 1, key="fa_col", **start("fa_col", info.shape[2] // 2))))
else:
    labels = net.labels
    class_index = int(st.selectbox("Class (type to search)", range(len(labels)), **start("fa_class", labels.index(
                                   "espresso") if "espresso" in labels else 0, "index"), format_func=lambda i: f"{labels[i]} ({i})",
                                   key="fa_class"))

opt = fv.optimisation_settings(mode)
st.caption(f"Limits: at most 512 steps, 224 px, {MAX_GALLERY} gallery channels and {fv.MAX_IMAGES} images at once, so a "
           "run stays interactive on a CPU. A class image starts small (80 steps at 128 px, then 24 at 224 px): about "
           "5 s on two CPU cores, where 256 steps at 224 px take 18 s (measured: bench/fantasy_schedule.py).")


def config(ch: int | None) -> fa.FantasyConfig:
    return fa.FantasyConfig(model=model, target=mode if mode in ("class", "unit") else "channel", layer=layer,
                            channel=ch or 0, unit=unit, class_index=class_index or 0, **opt)


if st.button("Dream", type="primary", icon=":material/auto_awesome:", key="fa_run"):
    channels = list(range(min(n_gallery, info.shape[0]))) if mode == "gallery" else [channel]
    first = config(channels[0])
    head = {"mode": mode, "layer": layer, "class": class_index, "node": fa.target_node(first),
            "class_name": net.labels[class_index] if mode == "class" else None, "model": net.key,
            "coarse_steps": first.coarse_steps, "coarse_size": first.coarse_size, "size": first.size}
    fv.make_images(store, net, channels, config, head, str(device))

fv.show_results(store)
store.show(net, layer)
publish(store)
