"""Networks on your photo: predictions, feature maps and receptive fields of real pretrained CNNs."""
from cnnviz.ui.router import through_router

through_router()

import hashlib  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
import streamlit as st  # noqa: E402

from cnnviz import inspect as ins  # noqa: E402
from cnnviz.devices import device_name, resolve_device  # noqa: E402
from cnnviz.errors import ImageError, ModelUnavailable  # noqa: E402
from cnnviz.figures import feature_map_figure, predictions_figure, receptive_field_figure  # noqa: E402
from cnnviz.images import SAMPLE_PHOTOS, UPLOAD_TYPES, load_image, load_sample  # noqa: E402
from cnnviz.models import registry, session_models, zoo  # noqa: E402
from cnnviz.numbers import fmt  # noqa: E402
from cnnviz.overlay import draw_box, overlay  # noqa: E402
from cnnviz.render import png_bytes  # noqa: E402
from cnnviz.ui.grids import clicked_cell, page_store, read_url_once, write_url  # noqa: E402
from cnnviz.ui.model_choice import model_options, model_title, pick_model, session_model  # noqa: E402
from cnnviz.ui.settings import current  # noqa: E402
from cnnviz.urlstate import choice, int_in, read_params  # noqa: E402

settings = current()
sty = settings.style
store = page_store("networks", lambda: {"model": "efficientnet_lite0", "sample": "Chelsea the cat", "digit": 0})


def _from_url(params: dict) -> list[str]:
    vals, notices = read_params(params, {"model": choice(tuple(registry.MODELS)), "sample": choice(tuple(SAMPLE_PHOTOS)),
                                         "layer": str, "channel": int_in(0, 4096), "unit": str,
                                         "digit": int_in(0, 999)})
    store.update({k: v for k, v in vals.items() if k in ("model", "sample", "digit")})
    store["url"] = vals
    return notices


read_url_once("networks", _from_url)

st.title("Networks on your photo")
st.caption("Real pretrained networks: what they predict, what every layer computes, and which pixels each unit "
           "can see. EfficientNet-Lite0 and LeNet-5 work offline; the classic ImageNet networks load from the "
           "torch hub cache once downloaded.")

statuses = {s.model: s for s in registry.all_statuses()}
names = model_options(list(registry.MODELS))


def _model_label(n: str) -> str:
    if session_models.is_session_model(n):
        return model_title(n)
    s = statuses[n]
    return registry.MODELS[n].title + ("" if s.state != registry.MISSING else " — not downloaded yet")


c_model, c_dev = st.columns([3, 2], vertical_alignment="bottom")
model_name = pick_model(c_model, names, store, "net_model", title=_model_label,
                        help="★ marks models trained in this session on the Training page (kept until the "
                             "session ends; not part of shared links)")
base = session_models.base_of(model_name)
mine = session_model(model_name)
device, notice = resolve_device(settings.device)
c_dev.caption(f"Running on **{device_name(device)}**" + (f" — {notice}" if notice else ""))
spec = registry.MODELS[base]
st.caption(mine.description if mine else spec.description)
if not mine and statuses[model_name].state == registry.MISSING:
    s = statuses[model_name]
    st.warning(f"**{spec.title} weights are not on this machine** ({s.detail}). To get them, run on a machine with "
               f"internet:\n\n`{s.how_to_get.split('   ')[0]}`\n\nor copy the file into `{s.path}`. "
               "EfficientNet-Lite0 and LeNet-5 work right now.", icon=":material/cloud_download:")
    if st.button(f"Download {spec.title} weights now", icon=":material/download:", key="net_download"):
        bar = st.progress(0.0, text="Downloading…")
        try:
            registry.download_with_progress(model_name, lambda f: bar.progress(min(f, 1.0), text=f"{100 * f:.0f} %"))
            st.success("Downloaded and checked. Loading the model…")
            st.rerun()
        except OSError as e:
            bar.empty()
            st.error(f"The download failed ({e.__class__.__name__}: {e}). This machine seems to be offline: "
                     "download the file elsewhere and copy it to the path above.")
    st.stop()

# ---- the picture ------------------------------------------------------------------------
photo, photo_id = None, None
if base == "lenet5":
    from cnnviz.models.lenet import mnist_split

    @st.cache_resource(show_spinner=False)
    def _heldout():
        _, _, x, y = mnist_split()
        return x, y

    xte, yte = _heldout()
    src = st.segmented_control("Digit", ["Held-out MNIST digit", "Upload"], default="Held-out MNIST digit",
                               key="net_digit_src", required=True)
    if src == "Upload":
        up = st.file_uploader("A digit photo: dark ink on a light background, roughly centred", type=UPLOAD_TYPES,
                              key="net_digit_upload")
        if up is not None:
            try:
                photo, photo_id = load_image(up.getvalue(), up.name), hashlib.sha1(up.getvalue()).hexdigest()
            except ImageError as e:
                st.error(str(e))
    else:
        store["digit"] = int(st.slider("Held-out digit number (not seen in training)", 0, len(yte) - 1,
                                       value=int(store.get("digit", 0)), key="net_digit"))
        digit = xte[store["digit"]]
        photo = np.repeat((255 - digit)[..., None], 3, axis=-1)  # shown like ink on paper
        photo_id = f"digit{store['digit']}"
        st.caption(f"True label: **{int(yte[store['digit']])}**" + (
            " · your LeNet-5 never trained on it either" if mine else
            f" · LeNet-5's held-out accuracy {100 * (zoo.lenet_accuracy() or 0):.1f} % on these 1,000 digits"))
else:
    tab_sample, tab_upload, tab_camera = st.tabs(["Sample photo", "Upload", "Camera"])
    with tab_sample:
        store["sample"] = st.selectbox("Sample photo", list(SAMPLE_PHOTOS),
                                       index=list(SAMPLE_PHOTOS).index(store["sample"]), key="net_sample")
    with tab_upload:
        up = st.file_uploader("Your photo (PNG, JPEG, WebP, BMP, GIF, TIFF; kept in memory only)", type=UPLOAD_TYPES,
                              key="net_upload")
    with tab_camera:
        cam = st.camera_input("Take a picture", key="net_camera") if st.toggle("Use the camera", key="net_cam_on") \
            else None
    for f in (cam, up):
        if f is not None and photo is None:
            try:
                photo, photo_id = load_image(f.getvalue(), getattr(f, "name", "camera")), \
                    hashlib.sha1(f.getvalue()).hexdigest()
            except ImageError as e:
                st.error(str(e) + " Showing the sample photo instead.")
    if photo is None:
        photo, photo_id = load_sample(store["sample"]), store["sample"]

try:
    model = zoo.shared_model(model_name, str(device))
except ModelUnavailable as e:
    st.error(str(e))
    st.stop()
pre = zoo.preprocessor(model_name)
x = zoo.preprocess(model_name, photo)
seen = pre.image(photo)

c_photo, c_pred = st.columns([2, 3], gap="large")
with c_photo:
    st.image(photo, caption="your picture", width="stretch" if base != "lenet5" else 140)
    with st.expander("What the network sees", expanded=True):
        st.image(seen, caption=f"{seen.shape[1]}×{seen.shape[0]} after resizing/cropping", width=180)
        st.markdown("\n".join(f"{k + 1}. {s}" for k, s in enumerate(pre.describe(photo.shape))))
        st.caption(f"Tensor given to the network: **{' × '.join(map(str, x.shape))}**")
with c_pred:
    preds = ins.predict(model_name, x, top=5, device=str(device))
    n_labels = len(zoo.labels(model_name))
    st.plotly_chart(predictions_figure(preds, sty, "Top-5 predictions" if n_labels > 5 else
                                       f"Predictions (all {n_labels} classes)"),
                    config={"displaylogo": False}, key="net_preds")

# ---- feature maps -----------------------------------------------------------------------
st.header("Feature maps")
all_layers = ins.layers(model_name)
groups = list(dict.fromkeys(info.group for info in all_layers))
url = store.pop("url", {})
default_node = url.get("layer") if any(i.node == url.get("layer") for i in all_layers) else None
default_group = next((i.group for i in all_layers if i.node == default_node), groups[min(2, len(groups) - 1)])
g1, g2 = st.columns([2, 3])
group = g1.selectbox("Stage / block", groups, index=groups.index(default_group), key=f"net_group_{model_name}")
in_group = [i for i in all_layers if i.group == group]
spatial = [k for k, i in enumerate(in_group) if i.shape[1] * i.shape[2] > 1]  # 1×1 maps show one colour each
node_idx = next((k for k, i in enumerate(in_group) if i.node == default_node),
                spatial[-1] if spatial else len(in_group) - 1)
info = g2.selectbox("Layer (output channels × height × width)", in_group, index=node_idx,
                    format_func=lambda i: i.label, key=f"net_layer_{model_name}_{group}")
nodes = (info.node,) + ((info.source,) if info.source and info.kind in ("ReLU", "ReLU6", "Tanh", "Sigmoid",
                                                                         "MaxPool", "AvgPool") and
                        any(i.node == info.source for i in all_layers) else ())
maps = ins.feature_maps(model_name, x, nodes, device=str(device))
fmap = maps[info.node]
o1, o2, o3 = st.columns(3)
order_by = o1.segmented_control("Order channels by", ["index", "mean", "max"], default="index", required=True,
                                key="net_order")
scale = o2.segmented_control("Colour scale", ["channel", "layer"], default="channel", required=True, key="net_scale",
                             format_func=lambda s: f"per {s}")
order = ins.channel_order(fmap, order_by)
if fmap.shape[1] * fmap.shape[2] == 1 and scale == "channel":
    scale = "layer"  # one value per channel: a scale of its own would paint every tile the same
    o2.caption("1×1 maps: one colour scale for the layer, so the channels can be compared")
mont = ins.montage(fmap, order, scale, sty.sequential, sty.diverging)
st.image(mont, caption=f"{info.node}: all {fmap.shape[0]} channels ({fmap.shape[1]}×{fmap.shape[2]} each), "
                       f"ordered by {order_by}, one colour scale per {scale}", width="stretch")
o3.download_button("Montage as PNG", png_bytes(Image.fromarray(mont)),
                   file_name=f"{model_name.replace('@', '-')}_{info.node}.png", mime="image/png", icon=":material/image:")
if len(nodes) > 1:
    with st.expander(f"Before the {info.kind}: {info.source}"):
        st.image(ins.montage(maps[info.source], order, scale, sty.sequential, sty.diverging), width="stretch",
                 caption=f"{info.source} (same channel order): negative values (blue) are what the "
                         f"{info.kind} {'clips to 0' if 'ReLU' in info.kind else 'squashes or pools'}")

# ---- one channel, one unit, its receptive field ------------------------------------------
st.header("One channel, one unit, and what it can see")
ranked = [int(c) for c in order]
default_channel = int(url.get("channel", ranked[0])) if int(url.get("channel", ranked[0])) < fmap.shape[0] else ranked[0]
ck = f"net_channel_{model_name}_{info.node}"
channel = int(st.number_input(f"Channel (0–{fmap.shape[0] - 1}); the strongest by {order_by}: "
                              f"{', '.join(map(str, ranked[:5]))}", 0, fmap.shape[0] - 1, default_channel, key=ck))
uk = f"net_unit_{model_name}_{info.node}"
if uk not in st.session_state:
    m = fmap[channel]
    st.session_state[uk] = tuple(int(v) for v in np.unravel_index(int(np.argmax(m)), m.shape))
unit = st.session_state[uk]
unit = (min(unit[0], fmap.shape[1] - 1), min(unit[1], fmap.shape[2] - 1))
left, right = st.columns(2, gap="large")
with left:
    ev = st.plotly_chart(feature_map_figure(fmap[channel], f"channel {channel} — click a unit", sty, unit),
                         on_select="rerun", selection_mode="points", key=f"net_fmap_{info.node}",
                         config={"displaylogo": False})
    click = clicked_cell(ev, store, "net_unit")
    if click:
        st.session_state[uk] = (click[1], click[2])
        st.session_state[f"{uk}_r"], st.session_state[f"{uk}_c"] = click[1], click[2]
        st.rerun()
    u1, u2 = st.columns(2)
    r = u1.number_input("Unit row", 0, fmap.shape[1] - 1, unit[0], key=f"{uk}_r")
    c = u2.number_input("Unit column", 0, fmap.shape[2] - 1, unit[1], key=f"{uk}_c")
    if (r, c) != unit:
        st.session_state[uk] = (int(r), int(c))
        st.rerun()
    st.caption(f"Activation at ({unit[0]}, {unit[1]}): **{fmt(float(fmap[channel, unit[0], unit[1]]))}**")
    if st.toggle("Overlay this channel on the picture", key="net_ch_overlay"):
        st.image(overlay(seen, fmap[channel], 0.6, sty.sequential), width="stretch",
                 caption=f"channel {channel} upsampled to {seen.shape[1]}×{seen.shape[0]} over the network's input")
with right:
    box = ins.rf_box(info, unit[0], unit[1], seen.shape[:2])
    alpha = st.slider("Effective receptive field overlay", 0.0, 1.0, 0.55, 0.05, key="net_alpha")
    erf = ins.effective_rf(model_name, x, info.node, channel, unit[0], unit[1], device=str(device))
    scale_up = max(1, 448 // seen.shape[0])
    pic = overlay(seen, erf, alpha, sty.sequential)
    st.image(draw_box(pic, box, sty.target_colour, 3, scale_up), width="stretch",
             caption="box: theoretical receptive field · colour: effective receptive field "
                     "(|∂ unit / ∂ pixel|, where the unit actually looks)")
    if np.isfinite(info.rf):
        st.markdown(f"Theoretical receptive field **{info.rf:g}×{info.rf:g} px** (jump {info.jump:g} px between "
                    f"neighbouring units, first centre at pixel {info.start:g}); this unit's window covers rows "
                    f"{box[0]:g}–{box[2]:g}, columns {box[1]:g}–{box[3]:g} (clipped to the image).")
    support = np.argwhere(erf > erf.max() * 1e-3) if erf.max() > 0 else np.zeros((0, 2))
    if len(support):
        st.caption(f"Effective receptive field (gradient above 0.1 % of its peak): rows {support[:, 0].min()}–"
                   f"{support[:, 0].max()}, columns {support[:, 1].min()}–{support[:, 1].max()}.")

st.plotly_chart(receptive_field_figure(all_layers, sty, info.node), config={"displaylogo": False}, key="net_rf_plot")
st.caption("Receptive field size grows with depth; the jump (product of strides) sets how far apart neighbouring "
           "units look. Through branches and shortcuts the largest path counts.")
write_url({"model": base, **({"sample": store["sample"]} if base != "lenet5" else
                                   {"digit": str(store.get("digit", 0))}),
           "layer": info.node, "channel": str(channel)})
