"""Ask the class: the teacher puts a stepper's next question to every following student, sees how many answered
and a histogram of their answers (anonymous), then reveals; each student answers on their own device.

The open question lives in the class store with the teacher's view (`View.poll`), so it reaches every replica
and a late joiner; answers go to the store too (a later answer replaces an earlier one, none after Reveal).
A stepper shows the question where the teacher asked it (same stepper, same step), hiding the step's answer
for everybody — the projector included — until Reveal.
"""

from __future__ import annotations

import secrets

import plotly.graph_objects as go
import streamlit as st

from cnnviz.classroom.store import ClassroomError, store
from cnnviz.grids.questions import (
    AnswerError,
    Question,
    answer_label,
    answer_to_text,
    histogram,
    question_from_dict,
    question_to_dict,
)
from cnnviz.ui.classroom import class_poll, current_page, publish, set_extra, state
from cnnviz.ui.predict_first import answer_box, show_verdict
from cnnviz.ui.settings import current

POLL_REFRESH_S = 1.0  # the teacher's count and histogram while a question is open


def _poll_here(key: str, i: int) -> dict | None:
    """The class's question if it was asked on this stepper at this step."""
    poll = class_poll()
    if poll and poll.get("stepper") == key and poll.get("step") == i and poll.get("page") == \
            current_page():
        return poll
    return None


def teacher_polling(key: str) -> bool:
    """The teacher has an unrevealed question open on this stepper (its fragment then refreshes every second)."""
    s = state()
    if s.get("role") != "teacher":
        return False
    poll = class_poll()
    return bool(poll and poll.get("stepper") == key and not poll.get("revealed"))


def is_teacher() -> bool:
    return state().get("role") == "teacher"


def stepper(key: str, i: int, questions: list[Question]) -> tuple[bool, Question | None] | None:
    """Draw the class question of this stepper, if any: (is it still open, so its answer is hidden?, the question);
    None if no class question concerns it (the learner's own predict mode then applies)."""
    s = state()
    role = s.get("role")
    if role == "teacher":
        return _teacher(s, key, i, questions)
    if role == "student" and s.get("follow"):
        poll = _poll_here(key, i)
        if poll is not None:
            return student_poll(s, poll)
    return None


def _teacher(s: dict, key: str, i: int, questions: list[Question]) -> tuple[bool, Question | None] | None:
    poll = _poll_here(key, i)
    if poll is None:
        if questions and st.button("Ask the class", icon=":material/quiz:", key=f"{key}_ask_class",
                                   help="Every following student answers this step's question on their device; "
                                        "you see the answers as a histogram, then reveal."):
            asked = s.setdefault("asked", set())
            q = next((q for q in questions if q.key not in asked), questions[-1])
            asked.add(q.key)
            set_extra(poll={"id": secrets.token_hex(4), "stepper": key, "step": i, "revealed": False,
                             "page": current_page(), "question": question_to_dict(q)})
            publish()
            st.rerun()  # the stepper refreshes the count every second while the question is open
        return None
    return teacher_poll(s, key, poll)


def teacher_poll(s: dict, key: str, poll: dict) -> tuple[bool, Question | None]:
    """The open question as its teacher sees it: the count, the histogram, Reveal, then the right share and Close."""
    q = question_from_dict(poll["question"])
    try:
        raw = store().answers(s["code"], s["token"], poll["id"])
        answers = [q.parse(a) for a in raw]
    except (ClassroomError, AnswerError) as e:
        st.warning(str(e))
        raw, answers = [], []
    if "lesson_view" in poll:  # a lesson's question: its summary keeps up with the count
        from cnnviz.ui.lesson_state import record

        record(poll, raw)
    with st.container(border=True, key=f"{key}_class_poll"):
        st.markdown(f"**Asked the class:** {q.prompt}")
        st.markdown(f"**{len(answers)} answered**")
        if answers:
            st.plotly_chart(histogram_figure(q, answers, poll.get("revealed", False)), key=f"{key}_histogram",
                            config={"displaylogo": False, "staticPlot": True})
        if not poll.get("revealed"):
            if st.button("Reveal", icon=":material/visibility:", key=f"{key}_reveal", type="primary"):
                set_extra(poll={**poll, "revealed": True})
                st.rerun()  # and the timer stops
            return True, q
        show_verdict(True, q.told)
        right = sum(q.is_right(a) for a in answers)
        st.caption(f"{right} of {len(answers)} right.")
        if st.button("Close the question", key=f"{key}_close_poll"):
            set_extra(poll=None)
            st.rerun()
    return False, None


def student_poll(s: dict, poll: dict) -> tuple[bool, Question | None]:
    """The open question as a student sees it: the answer box (Send), then their verdict after the reveal."""
    q = question_from_dict(poll["question"])
    mine = s.setdefault("answers", {})
    given = mine.get(poll["id"])
    with st.container(border=True):
        if poll.get("revealed"):
            if given is None:
                show_verdict(True, q.told)
            else:
                show_verdict(*q.verdict(q.parse(given)))
            return False, None
        st.caption("Your teacher asks the class:")
        pressed, parsed = answer_box(q, f"class_{poll['id']}", button="Send")
        if pressed and parsed is not None:
            text = answer_to_text(parsed)  # type: ignore[arg-type]
            try:
                store().answer(s["code"], s["id"], poll["id"], text)
                mine[poll["id"]] = given = text
            except ClassroomError as e:
                st.error(str(e))
        if given is not None:
            st.success(f"Sent: {answer_label(q.parse(given))} — you can change it until your teacher reveals the "
                       "answer.", icon=":material/send:")
    return True, q


def histogram_figure(q: Question, answers: list, revealed: bool) -> go.Figure:
    """The class's answers as bars, large enough for a projector; after Reveal the right answer's bar is green and
    its label says "right answer" (before, nothing gives it away)."""
    from cnnviz.present.figures import APP_FONT
    big = current().presentation
    size = 22 if big else 15
    bars = histogram(q, answers)
    labels = [f"{label} ✓ right answer" if (revealed and right) else label for label, _, right in bars]
    colours = ["#009E73" if (revealed and right) else "#0072B2" for _, _, right in bars]
    fig = go.Figure(go.Bar(x=labels, y=[b[1] for b in bars], marker_color=colours, text=[str(b[1]) for b in bars],
                           textposition="outside", textfont={"size": size}, cliponaxis=False))
    fig.update_layout(height=340 if big else 260, margin={"l": 60, "r": 10, "t": 30, "b": 50},
                      font={"size": size, "family": APP_FONT, "color": "#31333F"},
                      xaxis={"type": "category", "tickfont": {"size": size}},
                      yaxis={"title": "students", "dtick": max(1, len(answers) // 6), "rangemode": "tozero"},
                      showlegend=False, plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF")
    return fig
