"""Attributions: which pixels a network's decision depends on, several methods side by side."""
import hashlib

import numpy as np
import streamlit as st

from cnnviz.devices import resolve_device
from cnnviz.errors import ModelUnavailable
from cnnviz.explain import attribution as at
from cnnviz.explain import methods as registry
from cnnviz.explain.method import UnitTarget
from cnnviz.images import SAMPLE_PHOTOS
from cnnviz.networks import inspect as ins
from cnnviz.networks.network import all_networks
from cnnviz.networks.preprocess import FITS
from cnnviz.networks.specs import SPECS
from cnnviz.ui import attribution_views as av
from cnnviz.ui import faithfulness_views as fv
from cnnviz.ui.grids import link_widgets, page_store, read_url_once, widget_link, write_url
from cnnviz.ui.jobs import run_heavy
from cnnviz.ui.model_choice import pick_network
from cnnviz.ui.network_views import pick_fit
from cnnviz.ui.own_weights import own_weights_panel
from cnnviz.ui.pictures import picture
from cnnviz.ui.settings import current, start
from cnnviz.urlstate import choice, read_params

settings = current()
sty = settings.style
store = page_store("attr", lambda: {"model": "efficientnet_lite0", "sample": "Chelsea the cat"})


def _from_url(params: dict) -> list[str]:
    vals, notices = read_params(params, {"model": choice(tuple(SPECS)), "sample": choice(tuple(SAMPLE_PHOTOS)),
                                         "fit": choice(tuple(FITS))})
    store.update(vals)
    model = vals.get("model", store["model"])
    return notices + av.read_attribution_link(params, model) + link_widgets(params, av.widgets_link(model))


read_url_once("attribution", _from_url)

st.title("Attributions")
st.caption("Which input pixels does the score of a class depend on? Each method answers a slightly different "
           "question — compare them side by side, and read the caveats.")

c1, c2 = st.columns([2, 3])
net = pick_network(c1, store, "attr_model", help="★ marks your own networks: trained on the Training page or loaded below",
                   available_only=True)
model_name = net.key
missing = [n.title for n in all_networks() if not n.available]
if missing:
    c1.caption(f"Not downloaded here: {', '.join(missing)} (see the home page).")
with c1:
    own_weights_panel("attr")
device, _ = resolve_device(settings.device)
with c2:
    photo, source = picture(net, store, "attr", camera=False)
    fit = pick_fit(net, store, "attr")
try:
    net.module(str(device))
except ModelUnavailable as e:
    st.error(str(e))
    st.stop()
x = net.preprocess(photo, fit)
seen = net.preprocessing.fitted(fit).image(photo)
preds = ins.predict(net, x, top=5, device=str(device))
labels = net.labels

t1, t2 = st.columns([2, 3])
target_kind = t1.segmented_control("Explain", ["predicted class", "another class", "a channel / unit"], required=True,
                                   key="attr_target_kind", **start("attr_target_kind", "predicted class", "default"))
unit_target = None
if target_kind == "another class":
    target = t2.selectbox("Class (type to search)", range(len(labels)), index=preds[min(1, len(preds) - 1)].index,
                          format_func=lambda i: f"{labels[i]} ({i})", key=f"attr_class_{model_name}")
elif target_kind == "a channel / unit":
    spatial = [i for i in ins.layers(net) if i.shape[1] > 1]
    u1, u2, u3 = t2.columns([3, 1, 1])
    uinfo = u1.selectbox("Layer", spatial, index=len(spatial) // 2, format_func=lambda i: i.label,
                         key=f"attr_ulayer_{model_name}")
    uch = int(u2.number_input("Channel", 0, uinfo.shape[0] - 1, 0, key=f"attr_uch_{model_name}"))
    whole = u3.toggle("Whole channel", value=False, key="attr_uwhole",
                      help="Off: its strongest unit on this picture; on: the channel's mean")
    fmap = ins.feature_maps(net, x, (uinfo.node,), str(device))[uinfo.node][uch]
    uy, ux = (int(v) for v in np.unravel_index(int(np.argmax(fmap)), fmap.shape))
    unit_target = UnitTarget(uinfo.node, uch, None if whole else (uy, ux))
    target = preds[0].index
    t2.caption(("Mean of the channel" if whole else f"Its strongest unit here: ({uy}, {ux})")
               + " · Grad-CAM and guided Grad-CAM explain class scores only.")
else:
    target = preds[0].index
    t2.markdown(f"Predicted: **{preds[0].label}** ({100 * preds[0].probability:.1f} %)")

m1, m2 = st.columns([3, 2], vertical_alignment="bottom")  # the button label whole, projected too
methods = m1.multiselect("Methods", registry.names(), **start("attr_methods", ["guided-backprop", "gradcam", "saliency"],
                                                                   "default"), format_func=registry.title, key="attr_methods")
m2.button("Where does this class live?", on_click=av.every_method, key="attr_every", help=av.EVERY_HELP)
o1, o2, o3 = st.columns(3)
alpha = o1.slider("Overlay opacity", 0.0, 1.0, step=0.05, key="attr_alpha", **start("attr_alpha", 0.6))
sign = o2.segmented_control("Show", av.SIGNS, required=True, key="attr_sign", **start("attr_sign", "absolute", "default"),
                            help="Grad-CAM is non-negative by construction.")
cam_layer = av.cam_layer_choice(o3, net, f"attr_cam_{model_name}")  # None: no spatial layer, no CAM methods
options = av.method_settings(seen.shape[:2])  # {setting: value}, each method's own, from the registry
av.rectifier_note(net)
shareable = av.shareable(net, source)  # a registry network on a sample photo: the same map for every learner


@st.cache_data(show_spinner=False, max_entries=64)
def _attr(model_name: str, key: str, method: str, target: int, unit: tuple | None, layer: str, options: tuple,
          device: str) -> np.ndarray:
    tgt = UnitTarget(*unit) if unit else target
    return av.shared_map(shareable, ("attribution", model_name, key, method, target, unit, layer, options, device),
                         lambda: at.attribute(net, x, method, target=tgt, layer=layer, device=device,
                                              **dict(options)).values)


photo_key = hashlib.sha1(np.ascontiguousarray(seen).tobytes()).hexdigest()
if unit_target is not None or cam_layer is None:
    methods = [m for m in methods if not (registry.method(m).class_only if unit_target else registry.method(m).uses_layer)]
unit_key = (unit_target.layer, unit_target.channel, unit_target.unit) if unit_target else None
what = (f"{unit_target.layer} ch {unit_target.channel}" + (f" unit {unit_target.unit}" if unit_target.unit else "")
        if unit_target else labels[int(target)])
signature = (model_name, photo_key, tuple(methods), int(target), unit_key, cam_layer, tuple(options.items()))


def _map(m: str) -> np.ndarray:
    if registry.method(m).slow:  # a progress bar, and Stop ends it between batches
        return av.with_progress(registry.title(m), (signature, m), lambda progress: av.shared_map(
            shareable, ("attribution", model_name, photo_key, m, int(target), cam_layer, str(device)),
            lambda: at.attribute(net, x, m, target=int(target), layer=cam_layer, device=str(device),
                                 progress=progress).values))
    return _attr(model_name, photo_key, m, int(target), unit_key, cam_layer, tuple(options.items()), str(device))


values = run_heavy("Attributions", "attr_job", lambda: av.maps_as_they_come(methods, _map, signature, lambda done: av.show_maps(done, seen, sign, alpha, what, net.key, sty, downloads=False))) \
    if methods else {}
if values is None:  # stopped: the maps it had finished
    values = av.partial_maps(signature)
av.show_maps(values or {}, seen, sign, alpha, what, net.key, sty, predictions=preds, network=net.title)
write_url({**({"model": net.link_name} if net.link_name else {}),
           **({"sample": store["sample"]} if not net.takes_digits else {}), **({"fit": fit} if fit != "own" else {}),
           **av.attribution_link(methods, target_kind or "", target), **widget_link(av.widgets_link(net.key))})
fv.faithfulness_section(net, x, None if unit_target else int(target), values or {}, seen, labels[int(target)], sty,
                       str(device), share=shareable)
av.sanity_section(net, x, int(target), seen, labels[int(target)], sty, share=shareable)
