"""Lessons: prepare a lesson from views of the app, save it or share it, run it with a class, read the summary."""
import streamlit as st

from cnnviz.ui.lesson_state import LessonsState
from cnnviz.ui.lesson_views import editor, open_section, run_section, save_section, summary_section
from cnnviz.ui.page import open_page, publish

store = open_page(LessonsState)

st.title("Lessons")
st.caption("A lesson is a list of views of this app — each a page as you set it up, with a note for the students and "
           "perhaps a question. Add views from any page (sidebar → **Lesson → Add this view**), order them here, save "
           "the lesson as a file or one link, and run it with a class: everyone who follows sees view after view.")
open_section()
editor()
save_section()
run_section()
summary_section()
publish(store)
