"""Following the teacher replaces a student's page state with the teacher's link — and nothing that is theirs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.test_pages_render import ROOT


def test_a_follower_keeps_their_own_networks_and_running_training_when_the_teacher_moves():
    import cnnviz.ui.model_choice  # noqa: F401 - the modules that made these keys (and declared them lasting)
    import cnnviz.ui.views.lenet_live  # noqa: F401
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


def test_a_teachers_step_set_but_not_drawn_is_asked_again_at_the_next_check(monkeypatch):
    """A fragment run asked from a follow check can be lost on a loaded server: the check asks again."""
    from cnnviz.ui import classroom

    asked: list[list[str]] = []
    monkeypatch.setattr(classroom, "_rerun_fragments", lambda keys: asked.append(keys) or True)
    monkeypatch.setattr(classroom, "_in_full_run", lambda: False)

    def script() -> None:
        import streamlit as st

        from cnnviz.ui import classroom
        from cnnviz.ui.page import StepState

        behind, current, unseen = StepState(step=3, drawn=2), StepState(step=1, drawn=1), StepState(step=4)
        st.session_state["_class_page"] = "convolution"
        st.session_state[classroom.STEPPERS] = {"convolution": {"step": ("conv", behind), "speed": ("conv", behind),
                                                                "b": ("pool", current), "c": ("new", unseen)}}
        classroom._redraw_lost_steps()

    at = AppTest.from_function(script).run()
    assert not at.exception, [e.value for e in at.exception]
    assert asked == [["conv"]]


def test_a_page_switch_asked_for_but_never_made_is_asked_again(monkeypatch):
    """The follower applied the class's view yet is still on another page: the next check switches again."""
    from cnnviz.ui import classroom

    monkeypatch.setattr(classroom, "_in_full_run", lambda: False)

    def script() -> None:
        import streamlit as st

        from cnnviz.classroom.store import View
        from cnnviz.ui import classroom

        view = View("activations", (("fn", "relu"),), 7)
        s = {"applied": (view.page, view.params)}
        st.session_state["_class_page"] = "convolution"
        st.session_state["lost"] = classroom._switch_lost(s, view)
        st.session_state["_class_page"] = "activations"
        st.session_state["made"] = classroom._switch_lost(s, view)
        st.session_state["_class_page"] = "convolution"
        st.session_state["not_applied"] = classroom._switch_lost({"applied": ("pooling", ())}, view)
        st.session_state["home"] = classroom._switch_lost({"applied": ("start", ())}, View("start", (), 3))

    at = AppTest.from_function(script)
    at.session_state["_class_page"] = ""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["lost"] and not at.session_state["made"] and not at.session_state["not_applied"]
    assert at.session_state["home"]  # on Convolution while the class is on Home: the switch is asked again
