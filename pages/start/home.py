"""Home: what CNN Explorer is, the map of pages, and the environment panel."""
import streamlit as st

from cnnviz.pagemap import PAGES, SECTIONS
from cnnviz.ui.page import open_page
from cnnviz.ui.settings import current
from cnnviz.ui.views.home_views import HomeState, environment_panel

settings = current()
store = open_page(HomeState)

st.title("CNN Explorer")
st.markdown(
    "Learn how convolutional neural networks work by touching them. Type numbers into grids and watch a "
    "convolution, pooling or an activation happen cell by cell with the real arithmetic; then open real "
    "pretrained networks on your own photo and see what they compute. Every number shown is computed by "
    "the app and cross-checked against PyTorch in its tests."
)

st.header("Pages")
for section in SECTIONS:
    st.subheader(section)
    for p in (p for p in PAGES if p.section == section):
        cols = st.columns([2, 5])
        with cols[0]:
            st.page_link(f"pages/{p.file}", label=p.title, icon=p.icon)
        with cols[1]:
            st.markdown(p.summary)

st.header("Environment")
environment_panel(store, settings.device)  # Home has no link: a link's parameters stay for the page it opens
