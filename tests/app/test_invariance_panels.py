"""Pooling's invariance figures on the page: the turn travels in the link, the sentence follows the turn, and a bad
turn in a link keeps the stroke unturned with a notice."""

from __future__ import annotations

from tests.app.test_pages_render import open_page


def _said(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_turning_the_stroke_says_which_detector_answers_and_the_link_keeps_the_turn():
    at = open_page("pooling.py")
    assert "Unturned, the stroke is found by detector 1" in _said(at)
    assert "2 of 4 outputs keep their value" in _said(at)  # the notes' figure, recomputed
    box = next(s for s in at.button_group if s.label == "Turn the stroke by")
    box.set_value(90).run()
    assert "found by detector 2" in _said(at) and at.query_params["turn"] in ("90", ["90"])
    again = open_page("pooling.py", turn="270")
    assert "no detector has that rotation" in _said(again)


def test_a_bad_turn_in_a_link_keeps_the_stroke_unturned_with_a_notice():
    at = open_page("pooling.py", turn="45")
    assert not at.exception and len(at.toast) >= 1
    assert "Unturned" in _said(at)
