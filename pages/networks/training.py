"""Training: watch LeNet-5 learn, live, and transfer-learn a pretrained network on your own photos."""
import streamlit as st

from cnnviz.devices import resolve_device
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.settings import current
from cnnviz.ui.views.lenet_live import lenet_tab
from cnnviz.ui.views.training_views import TRAINING_TABS, TrainingState
from cnnviz.ui.views.transfer_views import transfer_tab

settings = current()
store = open_page(TrainingState)
device, _ = resolve_device(settings.device)
st.title("Training")
st.caption("Train LeNet-5 on 4,000 MNIST digits and watch it learn: the loss falling, accuracy on 1,000 held-out "
           "digits it never trains on, the first-layer filters and one digit's feature maps changing, and how "
           "large each layer's gradient is. Try sigmoid with SGD to see gradients vanish.")
tab_lenet, tab_transfer = st.tabs(list(TRAINING_TABS), key="tr_tab", on_change="rerun")  # in the link
with tab_lenet:
    lenet_tab(settings.style)
with tab_transfer:
    transfer_tab(store, settings.style, str(device))
publish(store)
