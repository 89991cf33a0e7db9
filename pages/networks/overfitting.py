"""Overfitting and its cures: LeNet-5 on a few hundred digits, the train/held-out gap, early stopping, dropout, weight
decay, augmentation, a smaller network and more data — measured, compared, and augmentation seen on your photo."""
import streamlit as st

from cnnviz.ui.page import open_page, publish
from cnnviz.ui.pictures import photo_picture
from cnnviz.ui.settings import current
from cnnviz.ui.views import overfit_views as views

settings = current()
state = open_page(views.OverfitState)
st.title("Overfitting")
st.caption("Train LeNet-5 on a few of the 4,000 training digits and watch it memorise them: training accuracy "
           "reaches 100 % while the held-out loss turns upward. Then apply each cure the notes name and see by how "
           "much it closes the gap — the numbers, not the slogans.")
preset = views.preset_section()
cfg = views.settings_section()
views.training_section(state, cfg, preset, settings.style)
st.header("Augmentation you can see")
views.digits_gallery(cfg)
st.markdown("**On a photo** — the transforms the notes name, and AlexNet's two recipes")
rgb, _ = photo_picture(state, "of")
views.photo_gallery(rgb, settings.style)
publish(state)
