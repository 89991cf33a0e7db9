"""CNN Explorer: the router. Sidebar settings, then the page the URL asks for."""

import sys
from pathlib import Path

import streamlit as st

from cnnviz.pagemap import HOME, PAGES, SECTIONS
from cnnviz.ui import classroom, lesson_views, predict_first
from cnnviz.ui.settings import sidebar_settings

ROOT = Path(__file__).parent

# Opened projected (?present=1): the sidebar starts collapsed and the content takes the full width. Decided once
# per session: switching presentation on from the sidebar later leaves the sidebar where the user has it.
_sidebar = st.session_state.setdefault(
    classroom.SIDEBAR_START, "collapsed" if st.query_params.get("present") in ("1", "true") else "auto")
st.set_page_config(page_title="CNN Explorer", page_icon=str(ROOT / "assets" / "favicon.png"), layout="wide",
                   initial_sidebar_state=_sidebar)


def _page(info, default: bool = False) -> st.Page:
    return st.Page(ROOT / "pages" / info.file, title=info.title, icon=info.icon, url_path=info.url_path,
                   default=default)


home = st.Page(ROOT / "pages" / HOME.file, title=HOME.title, icon=HOME.icon, url_path="start", default=True)
# The default page is served at the root; a typed /home goes there too (a hidden page that switches to it).
typed_home = st.Page(lambda: st.switch_page(home), title=HOME.title, url_path=HOME.url_path, visibility="hidden")
nav = {"": [home, typed_home]}
for section in SECTIONS:
    nav[section] = [_page(p) for p in PAGES if p.section == section]
page = st.navigation(nav, expanded=True)  # every section in view: 16 pages would collapse to ten behind "View more"
if sidebar_settings().presentation:  # projected, the step view keeps its one screen: the predict switch waits here
    with st.sidebar:
        predict_first.switch("sidebar")
classroom.join_from_url()
classroom.panel()
lesson_views.restore_run(classroom.state())
classroom.remember_page(page.url_path)
classroom.banner()
if classroom.state().get("role") == "student" and classroom.state().get("follow"):
    lesson_views.student_note()
try:
    page.run()
finally:  # also after st.stop(): the class follows whatever the teacher now sees
    classroom.publish()
    if sys.exc_info()[0] is None or sys.exc_info()[0].__name__ == "StopException":
        lesson_views.sidebar()  # after the page, whose steppers have said what they ask at their step
