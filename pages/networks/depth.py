"""Going deep: why deep networks train — vanishing and exploding gradients, initialisation, batch norm, clipping and
skip connections, measured on real digits at initialisation and while training."""
import streamlit as st

from cnnviz.ui.page import open_page, publish
from cnnviz.ui.settings import current
from cnnviz.ui.views import depth_views as views

settings = current()
state = open_page(views.DepthState)
st.title("Going deep")
st.caption("Why deep networks were hard to train, and what fixed it: build a CNN of 1–100 blocks, see its "
           "activations and gradients before any training, train it on 4,000 digits, and compare it with the fix.")
preset = views.preset_section()
cfg = views.settings_section()
views.init_section(state, cfg, settings.style)
views.training_section(state, cfg, preset, settings.style)
publish(state)
