"""Going deep as a learner and a class use it: the link carries every setting and the preset, bad values keep the last
good state with a notice, predict-first hides each answer until it is given, a run can be stopped, and a student
follows the teacher's preset."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnnviz.learn import depth as D
from tests.app.test_pages_render import ROOT, open_page


def _shown_charts(at: AppTest) -> set[str]:
    return {c.proto.id for c in at.get("plotly_chart")}


def test_a_link_opens_the_lab_on_its_settings_and_the_page_writes_them_back():
    at = open_page("depth.py", depth="32", activation="tanh", init="xavier", norm="none", skip="none", clip="2",
                   preset="degradation")
    assert at.slider(key="dp_depth").value == 32 and at.selectbox(key="dp_act").value == "tanh"
    assert at.selectbox(key="dp_init").value == "xavier" and at.number_input(key="dp_clip").value == 2.0
    assert at.selectbox(key="dp_preset").value == "degradation"
    assert at.query_params["depth"] == "32" and at.query_params["init"] == "xavier"
    assert any("degradation" in i.value.lower() or "deeper is worse" in i.value for i in at.info)


def test_bad_link_values_keep_the_defaults_with_a_notice():
    at = open_page("depth.py", depth="500", init="zeros")
    assert at.slider(key="dp_depth").value == D.DepthConfig().depth
    assert at.selectbox(key="dp_init").value == D.DepthConfig().init
    assert len(at.toast) == 2


def test_picking_a_preset_fills_in_its_first_network_and_its_claim():
    at = open_page("depth.py")
    at.selectbox(key="dp_preset").set_value("clipping").run()
    first = D.PRESETS["clipping"].runs[0]
    assert at.selectbox(key="dp_init").value == first.init and at.selectbox(key="dp_opt").value == first.optimizer
    assert at.slider(key="dp_depth").value == first.depth and at.number_input(key="dp_lr").value == first.lr
    assert any("clipping" in i.value for i in at.info)
    assert at.button(key="dp_run_preset").proto.label == "Run the preset: 2 networks"


def test_predict_first_hides_the_gradient_profile_until_the_largest_block_is_named():
    at = open_page("depth.py", predict="1", depth="6", activation="sigmoid", init="default", norm="none", skip="none")
    cfg = D.DepthConfig(depth=6, activation="sigmoid", init="default", norm="none", skip="none")
    report = D.at_init(cfg)
    assert not any("vanishing" in m.value for m in at.markdown)  # the sentence waits for the answer
    assert len(at.get("plotly_chart")) == 1  # the activations only
    answer = str(report.grad_norms.index(max(report.grad_norms)) + 1)
    form_input = next(t for t in at.text_input if t.label == "Your prediction")
    form_input.input(answer)
    next(b for b in at.get("form_submit_button") if b.proto.label == "Check").click().run()
    assert not at.exception
    assert any(s.value.startswith("Right") for s in at.success)
    assert any("vanishing" in m.value for m in at.markdown) and len(at.get("plotly_chart")) == 2


def test_will_it_learn_is_asked_before_the_run_and_judged_after_it():
    at = open_page("depth.py", predict="1", depth="2", width="8", epochs="1", batch_size="256")
    assert at.button(key="dp_train").disabled  # no guess yet
    at.radio(key="dp_guess").set_value("no").run()
    assert not at.button(key="dp_train").disabled
    at.button(key="dp_train").click().run()
    at.session_state["_depth_runs"].run.join(120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    verdicts = [w.value for w in at.warning] + [s.value for s in at.success]
    assert any("learn" in v and "held-out digits right" in v for v in verdicts), verdicts


def test_a_preset_run_stops_when_asked_and_says_so():
    at = open_page("depth.py", preset="degradation", depth="8", skip="none")
    at.button(key="dp_run_preset").click().run()
    runs = at.session_state["_depth_runs"]
    runs.stop()
    runs.run.join(60)
    at.run()
    assert not at.exception
    assert all(r.stopped for r in runs.snapshot()[1:])
    assert any("Stopped" in w.value for w in at.warning) or all(r.stopped for r in runs.snapshot())


def test_a_student_follows_the_teachers_preset_and_settings():
    from cnnviz.classroom.store import store

    code, token = store().open()
    store().publish(code, token, "depth", {"preset": "vanishing", "depth": "20", "activation": "sigmoid",
                                           "init": "default", "norm": "none", "skip": "none"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["_class"] = {"role": "student", "code": code, "id": "s3", "follow": True, "seen": -1}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(t.value == "Going deep" for t in at.title)
    assert at.selectbox(key="dp_preset").value == "vanishing" and at.selectbox(key="dp_act").value == "sigmoid"
    store().close(code, token)


def test_will_it_learn_is_put_to_the_class_once_a_run_of_its_settings_is_known():
    from tests.app.test_ask_the_class import student, texts

    tiny = {"depth": "2", "width": "4", "epochs": "1", "batch_size": "256"}
    cfg = D.DepthConfig(depth=2, width=4, epochs=1, batch_size=256)
    D.train_shared(cfg)  # the teacher prepared the lesson: the run is the class's
    from cnnviz.classroom.store import store

    code, token = store().open()
    try:
        teacher = open_page("depth.py", **tiny)
        teacher.session_state["_class"] = {"role": "teacher", "code": code, "token": token}
        teacher.run()
        next(b for b in teacher.button if b.label == "Ask the class" and "dp_learn" in str(b.key)).click().run()
        assert not teacher.exception, [e.value for e in teacher.exception]
        assert teacher.button(key="dp_train").disabled  # nobody trains until the reveal
        ann = student(code, "ann")
        assert "Will this network" in texts(ann) and "wait until the answer is revealed" in texts(ann)
        choice = next(r for r in ann.radio if str(r.key).startswith("class_") and r.label == "Your prediction")
        choice.set_value("no")
        next(b for b in ann.button if b.label == "Send" and b.proto.form_id == choice.proto.form_id).click().run()
        assert not ann.exception, [e.value for e in ann.exception]
        teacher.run()
        assert "1 answered" in texts(teacher)
        next(b for b in teacher.button if b.label == "Reveal").click().run()
        ann.run()
        assert "held-out digits right" in texts(ann)
        assert not ann.button(key="dp_train").disabled
    finally:
        store().close(code, token)


def test_in_predict_mode_no_gradient_profile_shows_anywhere_before_the_answer():
    """A compared run of the same settings must not give "which block has the largest gradient?" away."""
    at = open_page("depth.py", depth="2", width="4", epochs="1", batch_size="256")
    at.button(key="dp_train").click().run()
    at.session_state["_depth_runs"].run.join(120)
    at.run()
    assert any(c.proto.id for c in at.get("plotly_chart"))
    at.toggle(key=next(t.key for t in at.toggle if str(t.key).startswith("dp_init_predict"))).set_value(True).run()
    assert not at.exception
    texts = " ".join(c.value for c in at.caption)
    assert "wait until the question above is answered" in texts
    assert all("gradient at init" not in str(df.value.columns) for df in at.dataframe)
    assert len(at.get("plotly_chart")) == 2  # the activations and the accuracy curves only
