"""Ask the class, with a teacher and two students sharing one class store (the process's own, as on one server):
ask, answer, the count and the histogram, reveal, a late joiner; pause and resume; a student's spotlight."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom.store import store
from tests.app.test_pages_render import ROOT

pytestmark = pytest.mark.app


def session(state: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["_class"] = state
    at.run()
    if page:
        at.switch_page(f"pages/{page}")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def student(code: str, sid: str) -> AppTest:
    return session({"role": "student", "code": code, "id": sid, "follow": True, "seen": -1})


def click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]


def send(at: AppTest, text: str) -> None:
    box = next(t for t in at.text_input if str(t.key).startswith("class_") and t.label == "Your prediction")
    box.input(text)
    next(b for b in at.button if b.label == "Send" and b.proto.form_id == box.proto.form_id).click().run()
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [s.value for s in at.success] + [w.value for w in at.warning]
                    + [e.value for e in at.error] + [c.value for c in at.caption] + [i.value for i in at.info])


@pytest.fixture
def teacher():
    code, token = store().open()
    at = session({"role": "teacher", "code": code, "token": token}, "operations/convolution.py")
    yield at, code, token
    try:
        store().close(code, token)
    except Exception:  # noqa: BLE001 - a test may have ended it
        pass


def test_a_class_answers_the_teachers_question_and_sees_the_reveal(teacher):
    at, code, token = teacher
    ann, bob = student(code, "ann"), student(code, "bob")
    click(at, "Ask the class")  # step 0 of the convolution: the output size first
    poll = store().view(code).poll
    assert poll["question"]["prompt"].startswith("What size will the output be?")
    for s in (ann, bob):
        s.run()
        assert "Your teacher asks the class" in texts(s) and "What size will the output be?" in texts(s)
    send(ann, "5 x 5")
    send(bob, "3 x 3")
    send(bob, "4 x 4")  # a second answer replaces the first
    assert "Sent: 4 × 4" in texts(bob)
    send(ann, "abc")
    assert "Type the size as rows × columns" in texts(ann)  # said under the box, the earlier answer stays
    late = student(code, "late")  # joins after the question was asked: still answers
    send(late, "5x5")
    at.run()
    assert "3 answered" in texts(at) and len(at.get("plotly_chart")) >= 1
    assert sorted(store().answers(code, token, poll["id"])) == ["4x4", "5x5", "5x5"]
    click(at, "Reveal")
    assert "The answer: 5 × 5" in texts(at) and "2 of 3 right" in texts(at)
    for s, verdict in ((ann, "Right: 5 × 5"), (bob, "Not quite — it is 5 × 5"), (late, "Right")):
        s.run()
        assert verdict in texts(s)
    with pytest.raises(Exception, match="revealed"):  # an answer after Reveal is refused
        store().answer(code, "bob", poll["id"], "5x5")


def test_while_the_question_is_open_the_steps_answer_is_hidden_for_everybody(teacher):
    at, code, token = teacher
    click(at, "Ask the class")
    click(at, "Reveal")
    click(at, "Close the question")
    click(at, "Ask the class")  # now the first cell's value
    assert store().view(code).poll["question"]["prompt"] == "What is output[0, 0]?"
    ann = student(code, "ann")
    for who in (at, ann):
        assert "output[0, 0]** = ?" in texts(who)  # its arithmetic is held back
        assert not any(c.value.startswith("6×1") for c in who.code)
    send(ann, "18")
    click(at, "Reveal")
    ann.run()
    assert "Right: 18, because 6×1 + 3×0" in texts(ann)
    assert any(c.value.startswith("6×1") for c in ann.code) and any(c.value.startswith("6×1") for c in at.code)


def test_a_student_session_cannot_ask_or_reveal():
    code, token = store().open()
    ann = student(code, "ann")
    ann.switch_page("pages/operations/convolution.py")
    ann.run()
    assert not any(b.label in ("Ask the class", "Reveal") for b in ann.button)
    store().close(code, token)


def test_pause_keeps_students_where_they_are_until_resume(teacher):
    at, code, token = teacher
    ann = student(code, "ann")
    assert any(t.value == "Convolution" for t in ann.title)
    click(at, "Pause following")
    ann.run()
    assert "paused following" in texts(ann)
    at.switch_page("pages/operations/pooling.py")
    at.run()
    ann.run()
    assert any(t.value == "Convolution" for t in ann.title)  # not pushed while paused
    click(at, "Resume following")
    ann.run()
    ann.run()
    assert any(t.value == "Pooling" for t in ann.title)


def test_a_student_offers_their_view_and_the_teacher_opens_it(teacher):
    at, code, token = teacher
    ann = student(code, "ann")
    ann.session_state["_class"]["follow"] = False  # exploring on her own
    ann.switch_page("pages/operations/activations.py")
    ann.run()
    click(ann, "Show my view to the teacher")
    offers = store().offers(code, token)
    assert [o.page for o in offers] == ["activations"] and not offers[0].has_photo
    at.run()
    assert f"{offers[0].label}: Activations" in texts(at)
    click(at, "Open")
    assert any(t.value == "Activations" for t in at.title)


def test_the_size_formulas_stay_hidden_from_the_class_until_the_reveal(teacher):
    at, code, token = teacher
    click(at, "Ask the class")
    ann = student(code, "ann")
    assert "The output size: predict it first" in texts(ann) and not any("⌊(7 + 2·0" in c.value for c in ann.code)
    click(at, "Reveal")
    ann.run()
    ann.run()  # the follow check reruns the stepper; the next page run shows the formulas again
    assert any("⌊(7 + 2·0" in c.value for c in ann.code)
