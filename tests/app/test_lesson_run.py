"""A teacher runs a three-view lesson with two students (one class store, as on one server): each view reaches
the students with "View k of 3" and its note, a typed question and a stepper's question are answered and
revealed, and the summary counts what the class answered — without a name."""

from __future__ import annotations

import pytest

from cnnviz.classroom.lessons import Lesson, LessonView, typed_question
from cnnviz.classroom.store import store
from cnnviz.grids.questions import question_from_dict
from tests.app.test_ask_the_class import click, send, session, student, texts

pytestmark = pytest.mark.app

LESSON = Lesson("Three views", (
    LessonView("The grid", "convolution", (("step", "0"),), "Look at the kernel first."),
    LessonView("ReLU", "activations", (), "ReLU keeps the positive part.", typed_question("ReLU(−3) = ?", "0")),
    LessonView("One cell", "convolution", (("step", "1"),), "Predict it.",
               question_from_dict({"prompt": "What is output[0, 1]?", "answer": 20.0, "because": "6 + 4 + 10",
                                   "hide": [["output", [[0, 1]]]]}), "conv", 1),
))


@pytest.fixture
def running():
    """A teacher whose class runs LESSON from its first view: (the teacher's session, class code, token)."""
    code, token = store().open()
    try:
        teacher = session({"role": "teacher", "code": code, "token": token})
        teacher.session_state["_lesson"] = LESSON
        teacher.switch_page("pages/start/lessons.py").run()
        click(teacher, "Run the lesson")
        yield teacher, code, token
    finally:
        store().close(code, token)


def test_a_class_follows_a_lesson_view_by_view_answers_its_questions_and_the_summary_counts_them(running):
    teacher, code, _ = running
    ann, bob = student(code, "ann"), student(code, "bob")
    for s in (ann, bob):
        assert "View 1 of 3: The grid" in texts(s) and "Look at the kernel first." in texts(s)
    assert store().view(code).page == "convolution"
    click(teacher, "Next view")  # a typed question: answered beside the note
    for s, a in ((ann, "0"), (bob, "-3")):
        s.run()
        assert "View 2 of 3: ReLU" in texts(s) and "ReLU(−3) = ?" in texts(s)
        send(s, a)
    teacher.run()
    assert "2 answered" in texts(teacher)
    click(teacher, "Reveal")
    ann.run()
    assert "Right: 0" in texts(ann)
    click(teacher, "Next view")  # the stepper's own question, asked in that stepper
    for s, a in ((ann, "20"), (bob, "20")):
        s.run()
        assert "View 3 of 3: One cell" in texts(s) and "Your teacher asks the class" in texts(s)
        send(s, a)  # (the teacher's count is drawn in that stepper, on the page the teacher now shows)
    click(teacher, "End the lesson")
    ann.run()
    assert "View 3 of 3" not in texts(ann)  # the lesson's note has gone from the students' pages
    rows = teacher.table[0].value
    assert list(rows["answered"]) == [2, 2] and list(rows["right"]) == [1, 2]
    assert "ann" not in rows.to_csv() and "bob" not in rows.to_csv()


def test_the_teacher_leaves_the_lesson_to_improvise_and_comes_back_where_it_was_even_from_a_new_session(running):
    teacher, code, token = running
    click(teacher, "Next view")
    ann = student(code, "ann")
    assert "View 2 of 3: ReLU" in texts(ann)
    click(teacher, "Leave the lesson (improvise)")
    ann.run()
    assert "View 2 of 3" not in texts(ann) and "ReLU(−3) = ?" not in texts(ann)  # the class is the teacher's
    again = session({"role": "teacher", "code": code, "token": token})  # another tab, or another replica
    again.switch_page("pages/start/lessons.py").run()
    assert "3. One cell" in texts(again)  # the class's lesson, from the class store
    click(again, "Back to the lesson (view 2)")
    ann.run()
    assert "View 2 of 3: ReLU" in texts(ann) and store().view(code).page == "activations"
