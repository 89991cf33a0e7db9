"""The Overfitting page with a learner's hands (AppTest): a link sets every cure, a preset fills the settings, a run
from the button ends in the table and the best-epoch sentence, and in predict mode "40 more epochs: up or down?" is
asked before the longer run and judged by it."""

from __future__ import annotations

import pytest

from tests.app.test_pages_render import open_page

PAGE = "networks/overfitting.py"


def _run_to_end(at, key: str):
    next(b for b in at.button if b.key == key).click().run()
    at.session_state["_of_runs"].run.join(120)
    return at.run()


def test_a_link_sets_every_cure_and_a_bad_value_keeps_the_default_with_a_notice():
    at = open_page(PAGE, train_size="300", epochs="20", dropout="0.5", weight_decay="0.0005", augment="shift,rotate",
                   patience="5", size="small", seed="7")
    ss = at.session_state
    assert (ss["of_n"], ss["of_epochs"], ss["of_dropout"], ss["of_wd"], ss["of_patience"], ss["of_size"],
            ss["of_seed"]) == (300, 20, 0.5, 0.0005, 5, "small", 7)
    assert list(ss["of_augment"]) == ["shift", "rotate"]
    bad = open_page(PAGE, augment="flip", train_size="9")
    assert not bad.exception and len(bad.toast) >= 2 and bad.session_state["of_n"] == 200


def test_a_preset_fills_in_its_first_runs_settings_and_says_what_to_look_for():
    at = open_page(PAGE, train_size="1000", dropout="0.3")
    next(s for s in at.selectbox if s.key == "of_preset").set_value("augmentation").run()
    assert at.session_state["of_n"] == 200 and at.session_state["of_dropout"] == 0.0
    assert any("Look for:" in i.value and "shrinks by a third or more" in i.value for i in at.info)
    assert any(b.key == "of_preset_go" and "4 runs" in b.label for b in at.button)


def test_a_run_ends_in_the_table_and_the_best_epoch_sentence():
    at = _run_to_end(open_page(PAGE, train_size="100", epochs="12", seed="1"), "of_train")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["run"]) == ["100 digits, 12 ep: no cure"]
    assert table["training accuracy"][0].endswith("%") and "points" in table["gap"][0]
    assert any("100 digits, 12 ep: no cure" in m.value and "epoch" in m.value for m in at.markdown)


@pytest.mark.slow
def test_predict_mode_asks_up_or_down_before_40_more_epochs_and_the_longer_run_answers():
    at = _run_to_end(open_page(PAGE, train_size="100", epochs="10", seed="2", predict="1"), "of_train")
    box = next(r for r in at.radio if r.key == "of_guess_more")
    assert "will the held-out accuracy" in box.label
    more = next(b for b in at.button if b.key == "of_more")
    assert more.disabled  # no guess yet
    box.set_value("up").run()
    at = _run_to_end(at, "of_more")
    said = " ".join(s.value for s in at.success) + " ".join(w.value for w in at.warning)
    assert "it went **" in said and ("Right" in said or "Not quite" in said)
    assert any("100 digits, 50 ep" in r for r in at.dataframe[0].value["run"])


@pytest.mark.slow
def test_which_cure_is_put_to_the_class_once_the_presets_runs_are_known():
    from cnnviz.classroom.store import store
    from cnnviz.learn import overfit as O
    from tests.app.test_ask_the_class import student, texts

    for cfg in O.PRESETS["augmentation"].runs:  # the teacher ran the preset before the lesson
        O.train_shared(cfg)
    code, token = store().open()
    try:
        teacher = open_page(PAGE, preset="augmentation")
        teacher.session_state["_class"] = {"role": "teacher", "code": code, "token": token}
        teacher.run()
        next(b for b in teacher.button if b.label == "Ask the class" and "of_cure" in str(b.key)).click().run()
        assert not teacher.exception, [e.value for e in teacher.exception]
        assert not any(b.key == "of_train" for b in teacher.button)  # nobody trains until the reveal
        ann = student(code, "ann")
        assert "which of these cures" in texts(ann).lower() and "wait until the answer is revealed" in texts(ann)
        choice = next(r for r in ann.radio if str(r.key).startswith("class_") and r.label == "Your prediction")
        choice.set_value("rotate")
        next(b for b in ann.button if b.label == "Send" and b.proto.form_id == choice.proto.form_id).click().run()
        teacher.run()
        assert "1 answered" in texts(teacher)
        next(b for b in teacher.button if b.label == "Reveal").click().run()
        ann.run()
        assert "the gap without a cure is" in texts(ann)
    finally:
        store().close(code, token)
