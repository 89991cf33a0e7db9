"""Following the teacher replaces a student's page state with the teacher's link — and nothing that is theirs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.test_pages_render import ROOT


def test_a_follower_keeps_their_own_networks_and_running_training_when_the_teacher_moves():
    from cnnviz.classroom.store import store

    code, token = store().open()
    store().publish(code, token, "pooling", {"step": "2"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    mine, owner, run = object(), object(), object()
    at.session_state["_class"] = {"role": "student", "code": code, "id": "s1", "follow": True, "seen": -1}
    at.session_state["_session_models"] = {"lenet": mine}
    at.session_state["_run_owner"] = owner
    at.session_state["_lenet_run"] = run
    at.session_state["_page_conv"] = {"_name": "conv", "step": 7}  # page state: replaced by the teacher's
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_session_models"] == {"lenet": mine}
    assert at.session_state["_run_owner"] is owner and at.session_state["_lenet_run"] is run
    assert "_page_conv" not in at.session_state
    assert any(t.value == "Pooling" for t in at.title)
    store().close(code, token)


def test_a_teachers_explained_class_reaches_the_follower():
    """`class` is each person's classroom code and never travels; the explained class is `cls`, which does."""
    from cnnviz.classroom.store import store

    code, token = store().open()
    store().publish(code, token, "attribution", {"methods": "saliency", "cls": "968"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["_class"] = {"role": "student", "code": code, "id": "s2", "follow": True, "seen": -1}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert next(s for s in at.selectbox if s.label.startswith("Class (type")).value == 968
    store().close(code, token)
