"""Attributions: which pixels a network's decision depends on, several methods side by side."""
import streamlit as st

from cnnviz.classroom import results
from cnnviz.devices import resolve_device
from cnnviz.errors import ModelUnavailable
from cnnviz.explain import methods as registry
from cnnviz.networks import probe as ins
from cnnviz.networks.network import all_networks
from cnnviz.ui.model_choice import pick_network
from cnnviz.ui.own_weights_views import own_weights_panel
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.pictures import picture
from cnnviz.ui.settings import current, start
from cnnviz.ui.views import attribution_views as av
from cnnviz.ui.views import faithfulness_views as fv
from cnnviz.ui.views.network_views import pick_fit

settings = current()
sty = settings.style
store = open_page(av.AttrState)

st.title("Attributions")
st.caption("Which input pixels does the score of a class depend on? Each method answers a slightly different "
           "question — compare them side by side, and read the caveats.")

c1, c2 = st.columns([2, 3])
net = pick_network(c1, store, "attr_model", help="★ marks your own networks: trained on the Training page or loaded below",
                   available_only=True)
missing = [n.title for n in all_networks() if not n.available]
if missing:
    c1.caption(f"Not downloaded here: {', '.join(missing)} (see the home page).")
with c1:
    own_weights_panel("attr")
device = str(resolve_device(settings.device)[0])
with c2:
    photo, source = picture(net, store, "attr", camera=False)
    fit = pick_fit(net, store, "attr")
try:
    net.module(device)
except ModelUnavailable as e:
    st.error(str(e))
    st.stop()
x = net.preprocess(photo, fit)
seen = net.preprocessing.fitted(fit).image(photo)
preds = ins.predict(net, x, top=5, device=device)
target = av.pick_target(*st.columns([3, 2]), net, x, preds, device)

m1, m2 = st.columns([3, 2], vertical_alignment="bottom")  # the button label whole, projected too
methods = m1.multiselect("Methods", registry.names(), **start("attr_methods", ["guided-backprop", "gradcam", "saliency"],
                                                                   "default"), format_func=registry.title, key="attr_methods")
m2.button("Where does this class live?", on_click=av.every_method, key="attr_every", help=av.EVERY_HELP)
o1, o2, o3 = st.columns(3)
alpha = o1.slider("Overlay opacity", 0.0, 1.0, step=0.05, key="attr_alpha", **start("attr_alpha", 0.6))
sign = o2.segmented_control("Show", av.SIGNS, required=True, key="attr_sign", **start("attr_sign", "absolute", "default"),
                            help="Grad-CAM is non-negative by construction.")
cam_layer = av.cam_layer_choice(o3, net, f"attr_cam_{net.key}")  # None: no spatial layer, no CAM methods
options = av.method_settings(seen.shape[:2])  # {setting: value}, each method's own, from the registry
av.rectifier_note(net)
shareable = results.shareable(net.is_session, source)  # a registry network on a sample photo: the same map for every learner
methods = av.usable(methods, target, cam_layer)

values = av.compute_maps(store, net, x, seen, methods, target, cam_layer, options, device, shareable,
                         lambda done: av.show_maps(done, seen, sign, alpha, target.what, net.key, sty, downloads=False))
av.show_maps(values, seen, sign, alpha, target.what, net.key, sty, predictions=preds, network=net.title)
store.show(net, fit, methods, target)
publish(store)
fv.faithfulness_section(store, net, x, None if target.unit else target.index, values, seen, target.label, sty, device,
                        share=shareable)
av.sanity_section(store, net, x, target.index, seen, target.label, sty, share=shareable)
