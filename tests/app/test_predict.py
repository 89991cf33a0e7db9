"""Predict first on every stepper: the answer stays hidden until checked, a right answer says "Right", a wrong one
"Not quite — it is …" with the true value, the session keeps a score, and `predict=1` travels in the link."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.ui.page import StepState
from tests.app.test_pages_render import open_page

pytestmark = pytest.mark.app

# (page, the stepper's fragment key, its link's step key): every stepper that asks
STEPPERS = [
    ("operations/convolution.py", "conv", "step"),
    ("operations/pooling.py", "pool", "step"),
    ("operations/activations.py", "act", "step"),
    ("operations/backward.py", "bw_scatter", "scatter"),
    ("operations/backward.py", "bw_gather", "gather"),
    ("operations/backward.py", "bw_weight", "weight"),
    ("operations/transposed.py", "tr", "step"),
    ("operations/transposed.py", "tr_direct", "direct"),
    ("detection/detection.py", "det_nms", "nms"),
]


def stepper_store(at: AppTest, key: str) -> StepState:
    """The stepper's own state, as the page registered it for following."""
    for steppers in at.session_state["_class_steppers"].values():
        for frag, store in steppers.values():
            if frag == key:
                return store
    raise AssertionError(f"no stepper {key}")


def open_answer(at: AppTest, key: str) -> str:
    """The true answer of the question the stepper asks now (as the page would reveal it)."""
    return stepper_store(at, key).pending_question.split("|", 1)[1]


def answer(at: AppTest, key: str, text: str) -> None:
    """Type (or choose) an answer in the stepper's open question and press Check."""
    boxes = [w for w in list(at.text_input) + list(at.radio) if str(w.key).startswith(f"{key}_ask_")]
    assert boxes, f"{key}: no answer box"
    box = boxes[0]
    if box.type == "radio":
        box.set_value(text)
    else:
        box.input(text)
    form = box.proto.form_id
    check = next(b for b in at.button if b.proto.form_id == form and b.label == "Check")
    check.click().run()
    assert not at.exception, [e.value for e in at.exception]


def wrong(truth: str) -> str:
    return {"keep": "suppress", "suppress": "keep"}.get(truth, "1 × 1" if "×" in truth else "-98765")


def verdicts(at: AppTest) -> str:
    return " ".join([s.value for s in at.success] + [w.value for w in at.warning])


@pytest.mark.parametrize(("page", "key", "url"), STEPPERS, ids=[s[1] for s in STEPPERS])
def test_each_stepper_hides_its_answer_until_checked_and_says_right_or_not_quite(page, key, url):
    at = open_page(page, predict="1")
    assert at.query_params["predict"] == ["1"] or at.query_params["predict"] == "1"
    first = open_answer(at, key)
    answer(at, key, first)  # the output size (grid steppers) or the first value: right
    assert "Right" in verdicts(at)
    n_right = 1
    if "×" in first:  # after the size, the first cell: right again
        answer(at, key, open_answer(at, key))
        n_right = 2
    next(b for b in at.button if b.key == f"{key}_next").click().run()
    truth = open_answer(at, key)
    answer(at, key, wrong(truth))
    assert f"Not quite — it is {truth}, because" in verdicts(at)
    assert any(c.value == f"Your score: {n_right} of {n_right + 1} right" for c in at.caption), \
        [c.value for c in at.caption]


def test_a_bad_answer_gets_a_message_under_the_box_and_is_not_counted():
    at = open_page("operations/activations.py", predict="1")
    for bad, said in (("abc", "Not a number"), ("1e400", "too large"), ("9" * 30, "characters")):
        answer(at, "act", bad)
        assert any(said in e.value for e in at.error), (bad, [e.value for e in at.error])
    assert at.session_state["_predict_score"] == {"right": 0, "checked": 0, "skipped": 0}


def test_moving_on_without_predicting_is_allowed_and_counted_as_skipped():
    at = open_page("operations/activations.py", predict="1")
    next(b for b in at.button if b.key == "act_next").click().run()
    next(b for b in at.button if b.key == "act_next").click().run()
    assert at.session_state["_predict_score"]["skipped"] == 2
    assert stepper_store(at, "act")["step"] == 2


def test_while_predicting_the_arithmetic_is_held_back_and_appears_with_the_verdict():
    at = open_page("operations/convolution.py", predict="1")
    assert not any("=" in c.value and "×" in c.value for c in at.code)  # no sums shown yet
    assert any("The output size: predict it first" in c.value for c in at.caption)
    answer(at, "conv", "5 x 5")
    answer(at, "conv", "17")
    assert "Not quite — it is 18, because 6×1 + 3×0" in verdicts(at)
    assert any(c.value.startswith("6×1 + 3×0") for c in at.code)


def test_predict_mode_is_off_unless_switched_on_and_the_switch_goes_into_the_link():
    at = open_page("operations/convolution.py")
    assert not any(t.label == "Your prediction" for t in at.text_input)
    next(t for t in at.toggle if t.label == "Predict first").set_value(True).run()
    assert any(t.label == "Your prediction" for t in at.text_input)
    assert at.query_params["predict"] in ("1", ["1"])
    next(b for b in at.button if b.key == "conv_next").click().run()
    assert at.query_params["predict"] in ("1", ["1"])  # stepping keeps it
    link = {k: at.query_params[k] for k in at.query_params}
    again = open_page("operations/convolution.py", **{k: v[0] if isinstance(v, list) else v for k, v in link.items()})
    assert any(t.label == "Your prediction" for t in again.text_input)  # the link opens in predict mode
    assert again.session_state["_page_conv"]["step"] == 1


def test_a_bad_predict_value_in_a_link_keeps_it_off_with_a_notice():
    at = open_page("operations/convolution.py", predict="maybe")
    assert not any(t.label == "Your prediction" for t in at.text_input) and len(at.toast) >= 1
