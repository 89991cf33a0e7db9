"""In predict mode the "Shift the input" panel shows no output grid while the stepper's question is open: f(x) would
give the step's answer away."""

from __future__ import annotations

import pytest

from tests.app.test_pages_render import open_page


@pytest.mark.parametrize("page", ["convolution.py", "pooling.py"])
def test_the_shift_panel_holds_its_outputs_back_while_a_prediction_is_open(page):
    at = open_page(page, predict="1", shift="1,0")
    assert not at.exception
    assert any("wait until the step's prediction above is answered" in c.value for c in at.caption)
    assert not any("output cells keep their value" in m.value for m in at.markdown)
    shown = open_page(page, shift="1,0")
    assert any("output cells keep their value" in m.value for m in shown.markdown)
