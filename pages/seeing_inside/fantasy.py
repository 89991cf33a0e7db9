"""Fantasy images: pictures optimised to excite a class, a channel or a single unit."""

import streamlit as st

from cnnviz.devices import device_name, resolve_device
from cnnviz.explain import fantasy as fa
from cnnviz.networks import inspect as ins
from cnnviz.ui.fantasy_views import LINK, MODEL, show_results
from cnnviz.ui.grids import link_widgets, page_store, read_url_once, widget_link, write_url
from cnnviz.ui.jobs import heavy_job
from cnnviz.ui.model_choice import pick_network
from cnnviz.ui.settings import current
from cnnviz.urlstate import read_params

settings = current()
store = page_store("fantasy", lambda: {"results": {}})
MAX_GALLERY = 16


def _from_url(params: dict) -> list[str]:
    vals, notices = read_params(params, {"model": MODEL, "layer": str})
    store.update(vals)
    return notices + link_widgets(params, LINK)


read_url_once("fantasy", _from_url)

st.title("Fantasy images")
st.caption("Start from noise and change the picture, step by step, so that a chosen class, channel or unit fires as "
           "strongly as possible. The picture lives in Fourier space with decorrelated colours, and each step sees "
           "it jittered, scaled and rotated — so what survives is what the unit really responds to.")

device, notice = resolve_device(settings.device)
c1, c2, c3 = st.columns([2, 3, 2])
net = pick_network(c1, store, "fa_model", accept=lambda n: n.base != "lenet5", available_only=True,
                   help="★ marks classifiers trained in this session on the Training page: try one of your classes")
model = net.key
mode = c2.segmented_control("Objective", ["channel", "unit", "class", "gallery"], default="channel", required=True,
                            key="fa_mode", format_func={"channel": "a channel", "unit": "one unit", "class": "a class",
                                                        "gallery": "gallery of channels"}.get)
c3.caption(f"Runs on **{device_name(device)}**" + (f" — {notice}" if notice else ""))

layers = [i for i in ins.layers(model) if i.shape[1] > 1 and i.kind in ("ReLU", "ReLU6", "add (residual)",
                                                                       "concatenate (branches)", "Conv")]
wanted_layer = store.get("layer", "_blocks.5.depthwise_act")
default_layer = next((k for k, i in enumerate(layers) if i.node == wanted_layer), len(layers) // 2)
layer = channel = unit = class_index = None
if mode != "class":
    l1, l2, l3 = st.columns([3, 1, 1])
    info = l1.selectbox("Layer", layers, index=default_layer, format_func=lambda i: i.label, key=f"fa_layer_{model}")
    layer = store["layer"] = info.node
    if mode == "gallery":
        n_gallery = int(l2.number_input("Channels", 2, MAX_GALLERY, 8, key="fa_n"))
    else:
        channel = int(l2.number_input(f"Channel (0–{info.shape[0] - 1})", 0, info.shape[0] - 1, 11 % info.shape[0],
                                      key="fa_channel"))
    if mode == "unit":
        unit = (int(l3.number_input("Unit row", 0, info.shape[1] - 1, info.shape[1] // 2, key="fa_row")),
                int(l3.number_input("Unit column", 0, info.shape[2] - 1, info.shape[2] // 2, key="fa_col")))
else:
    labels = net.labels
    class_index = int(st.selectbox("Class (type to search)", range(len(labels)), index=labels.index("espresso")
                                   if "espresso" in labels else 0, format_func=lambda i: f"{labels[i]} ({i})",
                                   key="fa_class"))

with st.expander("Optimisation settings", expanded=False):
    s1, s2, s3, s4 = st.columns(4)
    size = int(s1.select_slider("Size (px)", [64, 96, 128, 160, 224], 128, key="fa_size"))
    steps = int(s2.number_input("Steps", 8, 512, 128 if mode != "gallery" else 64, key="fa_steps"))
    lr = float(s3.number_input("Learning rate", 0.001, 0.5, 0.05, format="%.3f", key="fa_lr"))
    seed = int(s4.number_input("Seed (same seed, same image)", 0, 10_000, 0, key="fa_seed"))
    t1, t2, t3, t4, t5 = st.columns(5)
    jitter = int(t1.number_input("Jitter (px)", 0, 32, 8, key="fa_jitter"))
    rotate = float(t2.number_input("Rotation (± degrees)", 0.0, 45.0, 10.0, key="fa_rot"))
    tv = float(t3.number_input("Total variation weight", 0.0, 10.0, 0.0, key="fa_tv"))
    l2w = float(t4.number_input("L2 weight", 0.0, 10.0, 0.0, key="fa_l2"))
    blurw = float(t5.number_input("Blur weight", 0.0, 100.0, 0.0, key="fa_blur"))
    rescale = st.checkbox("Random scaling (0.9–1.1)", value=True, key="fa_scale")
st.caption(f"Limits: at most 512 steps, 224 px and {MAX_GALLERY} gallery channels, so a run stays interactive "
           "on a CPU.")


def config(ch: int | None) -> fa.FantasyConfig:
    return fa.FantasyConfig(model=model, target=mode if mode in ("class", "unit") else "channel", layer=layer,
                            channel=ch or 0, unit=unit, class_index=class_index or 0, size=size, steps=steps, lr=lr,
                            seed=seed, jitter=jitter, rotate=rotate, tv=tv, l2=l2w, blur=blurw,
                            scale=(0.9, 0.95, 1.0, 1.05, 1.1) if rescale else ())


if st.button("Dream", type="primary", icon=":material/auto_awesome:", key="fa_run"):
    channels = list(range(min(n_gallery, info.shape[0]))) if mode == "gallery" else [channel]
    with heavy_job("Gallery" if mode == "gallery" else "Fantasy image", "fa_job"):
        progress = st.progress(0.0, text="Starting…")
        preview = st.empty()
        results = []
        for k, ch in enumerate(channels):
            cfg = config(ch)

            def report(step, value, img, k=k):
                done = (k + step / cfg.steps) / len(channels)
                progress.progress(min(done, 1.0), text=f"{'channel ' + str(channels[k]) + ' · ' if len(channels) > 1 else ''}"
                                                      f"step {step}/{cfg.steps} · objective {value:.3f}")
                if img is not None:
                    preview.image(img, caption=f"step {step}", width=256)

            res = fa.fantasy(cfg, device=str(device), on_step=report)
            start = fa.activation(cfg, fa.start_noise(cfg), str(device))
            end = fa.activation(cfg, fa.image_tensor(res.image),
                                str(device))
            results.append((ch, res, start, end))
            store["results"] = {"mode": mode, "layer": layer, "class": class_index, "items": list(results),
                                "class_name": net.labels[class_index] if mode == "class" else None}  # kept on Stop
        preview.empty()
        progress.empty()

show_results(store)
write_url({**({"model": net.link_name} if net.link_name else {}), **({"layer": layer} if layer else {}),
           **widget_link(LINK)})
