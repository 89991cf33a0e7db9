"""Predict first gives nothing away: the step view's grid shows the cells of the steps already passed, '?' on the
one asked and nothing on the steps still to come, and the exports that would show them wait. Outside predict mode
every cell and every export is there."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages_render import open_page
from tests.app.test_predict import answer, open_answer

pytestmark = pytest.mark.app

# (page, stepper key, link key, the step view's chart key, the grid's name in it)
GRIDS = [
    ("operations/convolution.py", "conv", "step", "conv_fig", "output"),
    ("operations/pooling.py", "pool", "step", "pool_fig", "output"),
    ("operations/activations.py", "act", "step", "act_grids", "ReLU(x)"),
    ("operations/backward.py", "bw_weight", "weight", "bw_weight_fig", "∂L/∂W"),
    ("operations/transposed.py", "tr_direct", "direct", "tr_direct_fig", "output"),
]


def drawn(at: AppTest, chart_key: str, name: str) -> list[str]:
    """The numbers a grid panel draws, row by row (its figure's text, as the browser receives it)."""
    for chart in at.get("plotly_chart"):
        if not chart.proto.id.endswith(f"-{chart_key}"):
            continue
        for trace in json.loads(chart.proto.spec)["data"]:
            if "customdata" in trace and str(trace.get("name", "")).startswith(name):  # a grid's numbers
                return [str(t) for t in trace["text"]]
    raise AssertionError(f"no grid {name!r} drawn in {chart_key}")


def _answer_open_questions(at: AppTest, key: str) -> None:
    for _ in range(2):  # the output size first (on step 0 only), then the cell
        if not any(str(w.key).startswith(f"{key}_ask_") for w in at.text_input):
            return
        answer(at, key, open_answer(at, key))


@pytest.mark.parametrize(("page", "key", "url", "chart", "panel"), GRIDS, ids=[g[1] for g in GRIDS])
def test_the_grid_shows_only_the_steps_passed_and_a_question_mark_on_the_one_asked(page, key, url, chart, panel):
    at = open_page(page, predict="1", **{url: "2"})
    cells = drawn(at, chart, panel)
    assert cells[2] == "?" and all(c == "" for c in cells[3:]), cells
    assert all(c not in ("", "?") for c in cells[:2]), cells  # the steps passed stay filled in
    _answer_open_questions(at, key)
    cells = drawn(at, chart, panel)
    assert cells[2] not in ("", "?") and all(c == "" for c in cells[3:]), cells  # revealed; the next still blank
    whole = drawn(open_page(page, **{url: "2"}), chart, panel)
    assert "" not in whole and "?" not in whole and whole[:3] == cells[:3]  # outside predict mode: every cell


@pytest.mark.parametrize("page", ["operations/convolution.py", "operations/pooling.py", "operations/transposed.py",
                                  "operations/backward.py", "operations/activations.py"])
def test_exports_of_the_output_wait_with_one_line_saying_why_and_come_back_with_predict_off(page):
    held = open_page(page, predict="1")
    labels = [b.label for b in held.get("download_button") if not b.label.startswith("Pooling")]  # never asked
    assert not any("CSV" in x or "PNG" in x or "GIF" in x for x in labels), labels
    said = [c.value for c in held.caption]
    assert any("wait until the answers are revealed" in c or "waits while predict first is on" in c
               for c in said), said
    shown = [b.label for b in open_page(page).get("download_button")]
    assert any("CSV" in x for x in shown), shown


def test_the_backward_pages_whole_gradient_waits_while_predicting():
    at = open_page("operations/backward.py", predict="1")
    assert any("The whole ∂L/∂X waits" in c.value for c in at.caption)
    with pytest.raises(AssertionError):
        _whole_gradient(at)
    _whole_gradient(open_page("operations/backward.py"))


def _whole_gradient(at: AppTest) -> None:
    names = [str(t.get("name")) for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    assert "∂L/∂X" in names, names


def test_a_students_page_during_a_class_question_shows_no_later_cell_until_the_reveal():
    from cnnviz.classroom.store import store
    from tests.app.test_ask_the_class import click, session, student

    code, token = store().open()
    try:
        teacher = session({"role": "teacher", "code": code, "token": token}, "operations/convolution.py")
        next(b for b in teacher.button if b.key == "conv_next").click().run()  # step 1: a cell's value
        click(teacher, "Ask the class")
        ann = student(code, "ann")
        ann.run()
        cells = drawn(ann, "conv_fig", "output")
        assert cells[1] == "?" and all(c == "" for c in cells[2:]), cells
        assert not ann.get("download_button")  # no export shows the output meanwhile
        teacher.run()
        click(teacher, "Reveal")
        ann.run()
        assert "" not in drawn(ann, "conv_fig", "output")
    finally:
        store().close(code, token)
