"""In predict mode the "Shift the input" panel shows no output grid while the stepper's question is open: f(x) would
give the step's answer away."""

from __future__ import annotations

import pytest

from tests.app.test_pages_render import open_page
from tests.app.test_predict import answer, open_answer, verdicts


@pytest.mark.parametrize("page", ["convolution.py", "pooling.py"])
def test_the_shift_panel_holds_its_outputs_back_while_a_prediction_is_open(page):
    at = open_page(page, predict="1", shift="1,0")
    assert not at.exception
    assert any("wait until the step's prediction above is answered" in c.value for c in at.caption)
    assert not any("output cells keep their value" in m.value for m in at.markdown)
    shown = open_page(page, shift="1,0")
    assert any("output cells keep their value" in m.value for m in shown.markdown)


@pytest.mark.parametrize(("page", "key"), [("convolution.py", "conv"), ("pooling.py", "pool")])
def test_in_predict_mode_the_panel_asks_whether_the_strongest_cell_keeps_its_value_before_it_shows(page, key):
    at = open_page(page, predict="1", shift="2,0")
    answer(at, key, open_answer(at, key))  # the output size
    answer(at, key, open_answer(at, key))  # the step's value
    assert any("Will output[" in m.value for m in at.markdown)
    assert not any("output cells keep their value" in m.value for m in at.markdown)  # the panel's answer held
    answer(at, f"{key}_shift", "no")
    assert any("f(shift(x))[" in v for v in verdicts(at).split("\n"))
    assert any("output cells keep their value" in m.value for m in at.markdown)
