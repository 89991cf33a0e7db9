"""The lesson this session prepares and a teacher's run of it (the Lessons page's state; the class questions
record a lesson question's answers here as they come)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnviz.classroom.lessons import Lesson, LessonError, LessonRun, from_link_value
from cnnviz.ui.page import PageState
from cnnviz.ui.session import lasting

LESSON = lasting("_lesson")  # the lesson this session prepares (a Lesson)
RUN = lasting("_lesson_run")  # a teacher's run of it (a LessonRun)


def current() -> Lesson:
    lesson = st.session_state.get(LESSON)
    return lesson if isinstance(lesson, Lesson) else Lesson("My lesson")


def keep(lesson: Lesson) -> None:
    st.session_state[LESSON] = lesson


def run() -> LessonRun | None:
    """This teacher's run of the lesson (None before the first)."""
    r = st.session_state.get(RUN)
    return r if isinstance(r, LessonRun) else None


def record(poll: dict, answers: list[str]) -> None:
    """The teacher's count of a lesson question, kept as it comes (so a closed question keeps its summary)."""
    r, at = run(), poll.get("lesson_view")
    if r is not None and isinstance(at, int):
        r.record(current(), at, answers)


@dataclass(kw_only=True, eq=False)
class LessonsState(PageState):
    """The Lessons page: a `lesson=` link opens its lesson once; the lesson itself is the session's (`LESSON`),
    shared with the sidebar's "Add this view", and travels as a file or as that link, never widget by widget."""

    name: str = "lessons"

    def read_link(self, params: dict[str, str]) -> list[str]:
        value = params.get("lesson")
        if not value:
            return []
        try:
            keep(from_link_value(value))
        except LessonError as e:
            return [f"The link's lesson cannot be opened: {e}."]
        return [f"Opened the lesson from the link: {current().name}."]

    def link(self) -> dict[str, str]:
        return {}
