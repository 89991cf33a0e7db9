"""Predict first: a stepper hides each step's result until the learner has typed a prediction and pressed Check.

The questions come from the engine (cnnviz/grids/questions.py); this module draws the switch, the answer box,
the verdict and the session's running score. The switch is one setting for the whole session (every stepper
asks, or none does) and travels in the link as `predict=1`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from cnnviz.caching import digest_bytes
from cnnviz.grids.questions import AnswerError, Question, score_text
from cnnviz.ui.address_bar import set_param
from cnnviz.ui.classroom import open_question_key
from cnnviz.ui.session import lasting

if TYPE_CHECKING:
    from cnnviz.ui.page import StepState

ON = "_predict"  # this session's switch (from the link, or the toggle)
SCORE = lasting("_predict_score")  # {"right", "checked", "skipped"}: the session's running score, kept while following
URL_KEY = "predict"


def enabled() -> bool:
    return bool(st.session_state.get(ON, False))


def set_enabled(on: bool) -> None:
    st.session_state[ON] = bool(on)
    st.session_state["_predict_gen"] = st.session_state.get("_predict_gen", 0) + 1  # every switch starts afresh


def read_link(params: dict) -> list[str]:
    """`predict=1` / `predict=0` from a link (anything else keeps the switch as it is, with a notice)."""
    from cnnviz.urlstate import choice, read_params

    vals, notices = read_params(params, {URL_KEY: choice(("0", "1"))})
    if URL_KEY in vals:
        set_enabled(vals[URL_KEY] == "1")
    return notices


def score() -> dict[str, int]:
    return st.session_state.setdefault(SCORE, {"right": 0, "checked": 0, "skipped": 0})


def switch(key: str) -> None:
    """The "Predict first" toggle of one stepper; a change reruns the page, so every stepper on it agrees."""
    gen = st.session_state.get("_predict_gen", 0)
    on = st.toggle("Predict first", value=enabled(), key=f"{key}_predict_{gen}",
                   help="Each step's result stays hidden until you type what you expect and press Check (or Enter).")
    if on != enabled():
        set_enabled(on)
        st.rerun()
    set_param(URL_KEY, "1" if on else None)


def skipped(store: StepState) -> None:
    """The learner moved on from a question they did not answer: counted as skipped (once)."""
    pending, store.pending_question = store.pending_question, None
    if pending and pending not in store.predicted:
        score()["skipped"] += 1


def _form_key(key: str, q: Question) -> str:
    return f"{key}_ask_{digest_bytes(q.key.encode())[:10]}"


def show_verdict(right: bool, words: str) -> None:
    if right:
        st.success(words, icon=":material/check_circle:")
    else:
        st.warning(words, icon=":material/lightbulb:")


def answer_box(q: Question, form_key: str, button: str = "Check") -> tuple[bool, object | None]:
    """The question, its "Your prediction" box and the button (Enter presses it). (pressed, parsed answer or None);
    a bad answer gets its message under the box and is not counted."""
    with st.form(form_key, border=True, enter_to_submit=True):
        st.markdown(f"**{q.prompt}**")
        if q.kind == "choice":
            text = st.radio("Your prediction", q.choices, index=None, horizontal=True, key=f"{form_key}_in")
        else:
            text = st.text_input("Your prediction", key=f"{form_key}_in", max_chars=40,
                                 placeholder="rows × columns, e.g. 3 × 3" if q.kind == "size" else "a number",
                                 help=q.tolerance_text or None)
        pressed = st.form_submit_button(button, type="primary")
        if not pressed:
            return False, None
        try:
            return True, q.parse(None if text is None else str(text))
        except AnswerError as e:
            st.error(str(e), icon=":material/error:")
            return True, None


def ask(store: StepState, key: str, questions: list[Question]) -> bool:
    """Each question in turn, until one is unanswered: True when every answer is revealed (the step may be shown)."""
    done = store.predicted
    for q in questions:
        if q.key in done:
            show_verdict(*done[q.key])
            continue
        store.pending_question = q.key
        _, given = answer_box(q, _form_key(key, q))
        if given is None:
            st.caption(f"Your score: {score_text(**score())}")
            return False
        right, words = q.verdict(given)  # type: ignore[arg-type]
        done[q.key] = (right, words)
        sc = score()
        sc["checked"] += 1
        sc["right"] += int(right)
        if q.kind == "size":
            st.rerun()  # the page's size formulas, held back while this was open, appear with the verdict
        show_verdict(right, words)
    if questions:
        st.caption(f"Your score: {score_text(**score())}")
    return True


def pending(store: StepState, q: Question) -> bool:
    """Predict mode is on and this question is not answered yet, or the teacher has put it to the class and not
    revealed it (a page then holds back what would give it away, such as the output-size formulas)."""
    return (enabled() and q.key not in store.predicted) or open_question_key() == q.key


def held_back(what: str) -> None:
    st.caption(f"{what}: predict it first, in the step view.")


def result_held(what: str) -> bool:
    """A page's whole result holds every answer its stepper asks: while predict first is on, or the class has an
    open question, it waits (one line says why and how to see it)."""
    if not (enabled() or open_question_key() is not None):
        return False
    st.caption(f"{what} waits while predict first is on or a class question is open: the step view above fills it "
               "in cell by cell as you go.")
    return True


def questions_at(i: int, cell: Callable[[int], Question | None] | None,
                 size: Callable[[], Question] | None) -> list[Question]:
    """What a stepper asks at step i: the output size before the first step, then the step's own value."""
    out = []
    if size is not None and i == 0:
        out.append(size())
    q = cell(i) if cell is not None else None
    if q is not None:
        out.append(q)
    return out
