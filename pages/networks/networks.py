"""Networks on your photo: predictions, feature maps and receptive fields of real pretrained CNNs."""
import streamlit as st

from cnnviz.devices import device_name, resolve_device
from cnnviz.errors import ModelUnavailable
from cnnviz.ui.model_choice import pick_network
from cnnviz.ui.own_weights_views import own_weights_panel
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.pictures import picture, weights_missing
from cnnviz.ui.settings import current
from cnnviz.ui.views import network_views as views
from cnnviz.ui.views.shift_photo_views import shift_photo_section

settings = current()
sty = settings.style
store = open_page(views.NetworksState)

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
url = store.take_linked()
info = views.pick_layer(net, url)
fmap, order = views.feature_maps(net, info, x, sty, device)

st.header("One channel, one unit, and what it can see")
left, right = st.columns(2, gap="large")
with left:
    channel, unit = views.pick_unit(net, info, x, fmap, order, url, store, sty, seen)
with right:
    views.receptive_field(net, info, x, channel, unit, seen, sty, device)
views.rf_chart(net, info, sty)
shift_photo_section(net, photo, sty, device)
store.show(net, fit, info.node, channel, unit)
publish(store)
