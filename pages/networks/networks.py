"""Networks on your photo: predictions, feature maps and receptive fields of real pretrained CNNs."""
import streamlit as st

from cnnviz.devices import device_name, resolve_device
from cnnviz.errors import ModelUnavailable
from cnnviz.images import SAMPLE_PHOTOS
from cnnviz.networks.preprocess import FITS
from cnnviz.networks.specs import SPECS
from cnnviz.ui import network_views as views
from cnnviz.ui.grids import link_widgets, page_store, read_url_once, widget_link, write_url
from cnnviz.ui.model_choice import pick_network
from cnnviz.ui.own_weights import own_weights_panel
from cnnviz.ui.pictures import picture, weights_missing
from cnnviz.ui.settings import current
from cnnviz.urlstate import choice, int_in, read_params

settings = current()
sty = settings.style
store = page_store("networks", lambda: {"model": "efficientnet_lite0", "sample": "Chelsea the cat", "digit": 0})


def _from_url(params: dict) -> list[str]:
    vals, notices = read_params(params, {"model": choice(tuple(SPECS)), "sample": choice(tuple(SAMPLE_PHOTOS)),
                                         "layer": str, "channel": int_in(0, 4096), "unit": str,
                                         "digit": int_in(0, 999), "fit": choice(tuple(FITS))})
    store.update({k: v for k, v in vals.items() if k in ("model", "sample", "digit", "fit")})
    store["url"] = vals
    return notices + link_widgets(params, views.LINK)


read_url_once("networks", _from_url)

st.title("Networks on your photo")
st.caption("Real pretrained networks: what they predict, what every layer computes, and which pixels each unit "
           "can see. EfficientNet-Lite0/1/2, MobileNetV2 and LeNet-5 work offline; the classic ImageNet networks "
           "load from the torch hub cache once downloaded; or bring your own weights.")

c_model, c_dev = st.columns([3, 2], vertical_alignment="bottom")
net = pick_network(c_model, store, "net_model", help="★ marks your own networks: trained on the Training page or "
                                                     "loaded below (kept until the session ends; never in links)")
device, notice = resolve_device(settings.device)
device = str(device)
c_dev.caption(f"Running on **{device_name(device)}**" + (f" — {notice}" if notice else ""))
own_weights_panel("net")
st.caption(net.description)
if weights_missing(net, "net_download"):
    st.stop()

photo, _ = picture(net, store, "net")
try:
    net.module(device)
except ModelUnavailable as e:
    st.error(str(e))
    st.stop()
fit = views.pick_fit(net, store, "net")
x = net.preprocess(photo, fit)
seen = views.input_and_predictions(net, photo, x, sty, device, fit)

st.header("Feature maps")
url = store.pop("url", {})
info = views.pick_layer(net, url)
fmap, order = views.feature_maps(net, info, x, sty, device)

st.header("One channel, one unit, and what it can see")
left, right = st.columns(2, gap="large")
with left:
    channel, unit = views.pick_unit(net, info, x, fmap, order, url, store, sty, seen)
with right:
    views.receptive_field(net, info, x, channel, unit, seen, sty, device)
views.rf_chart(net, info, sty)
write_url({**({"model": net.link_name} if net.link_name else {}),
           **({"sample": store["sample"]} if not net.takes_digits else {"digit": str(store.get("digit", 0))}),
           "layer": info.node, "channel": str(channel), "unit": f"{unit[0]},{unit[1]}",
           **({"fit": fit} if fit != "own" else {}), **widget_link(views.LINK)})
