"""Lessons, drawn: "Add this view" in the sidebar, the lesson page's editor, and a lesson run with a class.

The lesson itself (views, notes, questions, files, links, summaries) is the engine's (cnnviz/classroom/lessons.py).
Here: the session keeps the lesson being prepared; a teacher's run moves the whole class view by view — the view's
link opened afresh for everyone, its note and "View 3 of 8" on every student's page, its question asked the way
"Ask the class" asks — and keeps the answers' summary in the class store with the lesson, for any replica.
"""

from __future__ import annotations

import secrets

import streamlit as st

from cnnviz.classroom.lessons import (
    MAX_CHOICE,
    MAX_NOTE,
    MAX_PROMPT,
    MAX_TITLE,
    Lesson,
    LessonError,
    LessonRun,
    LessonView,
    lesson_from_json,
    shipped,
    summary_csv,
    to_link_value,
    typed_question,
)
from cnnviz.classroom.store import PRIVATE_PARAMS, ClassroomError, store
from cnnviz.grids.questions import question_from_dict, question_to_dict
from cnnviz.pagemap import by_url
from cnnviz.ui.class_questions import POLL_REFRESH_S, student_poll, teacher_poll
from cnnviz.ui.classroom import base_url, class_view, current_page, open_link, set_extra, state
from cnnviz.ui.lesson_state import RUN, current, keep
from cnnviz.ui.lesson_state import run as lesson_run

STEP_QUESTIONS = "_step_questions"  # {page: {stepper key: (step, make the step's questions)}}, from the steppers
NO_QUESTION, NUMBER, CHOICE = "No question", "A number I type", "Multiple choice"
LESSONS_PAGE = "pages/start/lessons.py"


def page_title(url_path: str) -> str:
    info = by_url(url_path) if url_path not in ("", "start") else None
    return info.title if info else "Home"


# ---- the sidebar: add this view, run the lesson --------------------------------------------------------------------

def sidebar() -> None:
    """The sidebar's Lesson panel: add the current view; for a teacher, run the lesson with the class."""
    r, s = lesson_run(), state()
    with st.sidebar.expander("Lesson", icon=":material/playlist_play:", expanded=bool(r and r.active)):
        if s.get("role") == "teacher" and current().views:
            run_controls(s)
        if s.get("role") != "student":
            add_view_form()
            st.page_link(LESSONS_PAGE, label=f"Edit, save or open a lesson ({len(current().views)} views)",
                         icon=":material/edit_note:")


def _here() -> tuple[str, dict[str, str]]:
    page = current_page() or "start"
    return page, {k: st.query_params[k] for k in st.query_params if k not in PRIVATE_PARAMS}


def _step_options(page: str) -> dict[str, tuple[str, int, dict]]:
    """The steppers' own questions at their current steps on this page: {label: (stepper, step, question)}."""
    out = {}
    for key, (step, make) in st.session_state.get(STEP_QUESTIONS, {}).get(page, {}).items():
        for q in make():
            out[f"This step's question: {q.prompt}"] = (key, step, question_to_dict(q))
    return out


def add_view_form() -> None:
    """"Add this view to the lesson": the page's link as the app writes it, a note, and perhaps a question."""
    page, params = _here()
    steps = _step_options(page)
    with st.form("lesson_add", border=False, clear_on_submit=True):
        st.markdown("**Add this view to the lesson**")
        title = st.text_input("Title", value=page_title(page), max_chars=MAX_TITLE, key="lesson_add_title")
        note = st.text_area("Note for the students (optional)", max_chars=MAX_NOTE, key="lesson_add_note", height=80)
        kind = st.radio("Question", [NO_QUESTION, *steps, NUMBER, CHOICE], key="lesson_add_kind")
        prompt = st.text_input("Your question (a number or a choice)", max_chars=MAX_PROMPT, key="lesson_add_prompt")
        answer = st.text_input("The right number", max_chars=24, key="lesson_add_answer")
        options = st.text_area(f"Options, one per line (2–5, each up to {MAX_CHOICE} characters)",
                               key="lesson_add_options", height=90)
        right = st.number_input("The right option's line", 1, 5, 1, key="lesson_add_right")
        if not st.form_submit_button("Add this view", icon=":material/playlist_add:", type="primary"):
            return
    try:
        stepper, step, q = "", 0, None
        if kind in steps:
            stepper, step, qd = steps[kind]
            q = question_from_dict(qd)
        elif kind == NUMBER:
            q = typed_question(prompt, answer)
        elif kind == CHOICE:
            q = typed_question(prompt, choices=options.splitlines(), right=int(right) - 1)
        view = LessonView(title.strip() or page_title(page), page, tuple(sorted(params.items())), note.strip(), q,
                          stepper, step)
        keep(current().added(view))
    except LessonError as e:
        st.error(str(e), icon=":material/error:")
        return
    st.toast(f"Added: view {len(current().views)}, {view.title}.", icon=":material/playlist_add_check:")


def run_controls(s: dict, key: str = "lesson") -> None:
    """Run the lesson: view by view for the whole class; leave it to improvise and come back where it was. (Drawn
    in the sidebar, key "lesson", and on the Lessons page; the sidebar's also shows a typed question's count.)"""
    lesson, r = current(), lesson_run()
    if r is None or not r.active:
        back = r is not None and not r.ended
        label = f"Back to the lesson (view {r.at + 1})" if back and r is not None else "Run the lesson"
        if st.button(label, icon=":material/play_lesson:", key=f"{key}_run", type="primary",
                     help="Every follower's screen shows the view, its note and its question."):
            go_to(s, lesson, r.at if back and r is not None else 0, fresh=not back)
        return
    at = r.at
    st.markdown(f"**View {at + 1} of {len(lesson.views)}:** {lesson.views[at].title}")
    a, b = st.columns(2)
    if a.button("Previous view", icon=":material/skip_previous:", key=f"{key}_prev", disabled=at == 0):
        go_to(s, lesson, at - 1)
    last = at + 1 >= len(lesson.views)
    if b.button("End the lesson" if last else "Next view", icon=":material/skip_next:", key=f"{key}_next",
                type="primary"):
        if last:
            leave(s, ended=True)
            st.switch_page(LESSONS_PAGE)
        go_to(s, lesson, at + 1)
    if key == "lesson" and lesson.views[at].question is not None and not lesson.views[at].stepper:
        _typed_poll(s)
    if st.button("Leave the lesson (improvise)", icon=":material/logout:", key=f"{key}_leave"):
        leave(s)
        st.rerun()


@st.fragment(run_every=POLL_REFRESH_S)
def _typed_poll(s: dict) -> None:
    """A question the teacher typed: its answers counted as they come, Reveal, the right share."""
    view = class_view()
    poll = view.poll if view else None
    if poll and poll.get("stepper") is None:
        teacher_poll(s, "lesson", poll)


def go_to(s: dict, lesson: Lesson, at: int, fresh: bool = False) -> None:
    """Put view `at` on every follower's screen: its link opened afresh, its note, its question (asked anew)."""
    r = LessonRun() if fresh else lesson_run() or LessonRun()
    _close_question(s, lesson, r)
    poll, line = r.open_view(lesson, at, secrets.token_hex(4))
    st.session_state[RUN] = r
    set_extra(poll=poll, lesson=line)
    save_run(s, lesson, r)
    v = lesson.views[at]
    open_link(v.page, v.query(), s["code"])


def _close_question(s: dict, lesson: Lesson, r: LessonRun) -> None:
    def answers_of(poll_id: str) -> list[str]:
        try:
            return store().answers(s["code"], s["token"], poll_id)
        except ClassroomError:
            return []
    r.close_question(lesson, answers_of)


def leave(s: dict, ended: bool = False) -> None:
    """The class leaves the lesson (its note and question go); the run remembers where it was, for "Back"."""
    lesson, r = current(), lesson_run() or LessonRun()
    _close_question(s, lesson, r)
    r.leave(ended)
    st.session_state[RUN] = r
    set_extra(poll=None, lesson=None)
    save_run(s, lesson, r)


def save_run(s: dict, lesson: Lesson, r: LessonRun) -> None:
    """The lesson, where it is and its answers so far, kept with the class (a teacher's next session finds it)."""
    try:
        store().set_lesson(s["code"], s["token"], r.saved(lesson))
    except ClassroomError as e:
        st.warning(str(e), icon=":material/cloud_off:")


def restore_run(s: dict) -> None:
    """A teacher's new session (another tab, another replica) picks up the class's lesson where it was."""
    if s.get("role") != "teacher" or RUN in st.session_state or s.get("lesson_checked"):
        return
    s["lesson_checked"] = True  # once per session and class: a teacher without a lesson costs one read
    try:
        saved = store().lesson(s["code"], s["token"])
        if saved:
            lesson, r = LessonRun.restored(saved)
            keep(lesson)
            st.session_state[RUN] = r
    except (ClassroomError, LessonError, ValueError, KeyError, TypeError):
        return


# ---- what students see --------------------------------------------------------------------------------------------

def student_note() -> None:
    """A following student's "View 3 of 8", the view's note and a typed question (the follow check runs the page
    again when they change)."""
    view = class_view()
    where = view.lesson if view else None
    state()["lesson_shown"] = bool(where)
    if not where:
        return
    text = f"**View {int(where.get('at', 0)) + 1} of {int(where.get('n', 0))}: {where.get('title', '')}**"
    st.info(text + (f"\n\n{where['note']}" if where.get("note") else ""), icon=":material/co_present:")
    poll = view.poll if view else None
    if poll and poll.get("stepper") is None:
        student_poll(state(), poll)


# ---- the Lessons page ---------------------------------------------------------------------------------------------

def open_section() -> None:
    """Open a lesson: one shipped with the app, or a file (a `lesson=` link is read by the page's state)."""
    ready = _shipped()
    with st.form("lesson_open", border=True):
        a, b = st.columns([3, 2], vertical_alignment="bottom")
        name = a.selectbox("Lessons that come with CNN Explorer", list(ready), key="lesson_shipped")
        if b.form_submit_button("Open this lesson", icon=":material/folder_open:") and name:
            keep(ready[name])
    up = st.file_uploader("Or open a lesson file (.json)", type=["json"], key="lesson_upload",
                          help="A lesson is plain data: a file that is not one is refused, and nothing in it runs.")
    if up is not None and st.session_state.get("_lesson_upload_read") != up.file_id:
        st.session_state["_lesson_upload_read"] = up.file_id
        try:
            keep(lesson_from_json(up.getvalue()))
            st.toast(f"Opened {current().name}.", icon=":material/folder_open:")
        except LessonError as e:
            st.error(f"{up.name} is not opened: {e}.", icon=":material/error:")


def _shipped() -> dict[str, Lesson]:
    return {lesson.name: lesson for _, lesson in shipped()}  # six small files, read when the page runs


def editor() -> None:
    """The lesson's views: title, page, note and question; move, remove, preview; its name."""
    lesson = current()
    with st.form("lesson_name", border=False):
        a, b = st.columns([4, 1], vertical_alignment="bottom")
        name = a.text_input("Lesson name", value=lesson.name, max_chars=MAX_TITLE, key="lesson_name_in")
        if b.form_submit_button("Rename") and name.strip():
            keep(Lesson(name.strip(), lesson.views))
            st.rerun()
    if not lesson.views:
        st.info("No views yet. Open any page, set it up, then use **Lesson → Add this view** in the sidebar.",
                icon=":material/playlist_add:")
        return
    for k, v in enumerate(lesson.views):
        with st.container(border=True, key=f"lesson_view_{k}"):
            st.markdown(f"**{k + 1}. {v.title}** · {page_title(v.page)}"
                        + (f" · step {v.step}" if v.stepper else ""))
            if v.note:
                st.caption(v.note)
            if v.question is not None:
                st.markdown(f"Question: {v.question.prompt}" + (f" — answer **{v.question.answer_text}**"
                                                                  if _answers_shown() else ""))
            _view_buttons(lesson, k)


def _answers_shown() -> bool:
    """The answers are for the teacher's eyes: not on a student's screen, not on the projector."""
    from cnnviz.ui.settings import current as settings

    return state().get("role") != "student" and not settings().presentation


def _view_buttons(lesson: Lesson, k: int) -> None:
    cols = st.columns(4)
    if cols[0].button("Up", key=f"lesson_up_{k}", icon=":material/arrow_upward:", disabled=k == 0):
        keep(lesson.moved(k, -1))
        st.rerun()
    if cols[1].button("Down", key=f"lesson_down_{k}", icon=":material/arrow_downward:",
                      disabled=k + 1 == len(lesson.views)):
        keep(lesson.moved(k, 1))
        st.rerun()
    if cols[2].button("Remove", key=f"lesson_remove_{k}", icon=":material/delete:"):
        keep(lesson.removed(k))
        st.rerun()
    if cols[3].button("Preview", key=f"lesson_preview_{k}", icon=":material/visibility:",
                      help="Open this view here (a class you teach follows it)."):
        v = lesson.views[k]
        open_link(v.page, v.query(), state().get("code"))


def save_section() -> None:
    """Download the lesson as a file; share it as one link when short enough."""
    lesson = current()
    if not lesson.views:
        return
    st.download_button("Download the lesson (.json)", lesson.to_json(), file_name=f"{_file_name(lesson.name)}.json",
                       mime="application/json", icon=":material/download:")
    value = to_link_value(lesson)
    if value is None:
        st.caption("This lesson is too long to share as one link: share the file.")
    else:
        st.markdown("**The lesson as one link** (opens this page with the lesson):")
        st.code(f"{base_url()}/lessons?lesson={value}", language=None, wrap_lines=True)


def _file_name(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")[:40] or "lesson"


def run_section() -> None:
    s = state()
    if s.get("role") == "teacher" and current().views:
        run_controls(s, "lesson_page")
    elif current().views:
        st.caption("To run this lesson with students, start a class (sidebar → Class): every student who follows "
                   "sees each view, its note and its question.")


def summary_section() -> None:
    """After (or during) a run: per question, how many answered, how many were right, the spread. No names."""
    r = lesson_run()
    rows = r.summaries() if r is not None else []
    if not rows:
        return
    st.subheader("What the class answered")
    st.table([{"view": r.view, "question": r.prompt, "answered": r.answered, "right": r.right,
               "answers": r.spread_text} for r in rows])  # plain HTML: read aloud, and readable on a projector
    st.download_button("Summary as CSV", summary_csv(rows), file_name="lesson_summary.csv", mime="text/csv",
                       icon=":material/table:")
