"""The lessons that come with the app: one per chapter of the notes, 5–10 views each, every view opens without an
error or a refused link value, and each stepper question is the very question that stepper asks at that link."""

from __future__ import annotations

import pytest

from cnnviz.classroom.lessons import shipped
from cnnviz.grids.questions import question_to_dict
from cnnviz.pagemap import by_url
from tests.app.test_pages_render import open_page

pytestmark = pytest.mark.app

LESSONS = shipped()
VIEWS = [(stem, k, v) for stem, lesson in LESSONS for k, v in enumerate(lesson.views)]


def test_one_lesson_per_chapter_each_with_five_to_ten_views_notes_and_questions():
    assert len(LESSONS) >= 6
    for stem, lesson in LESSONS:
        assert 5 <= len(lesson.views) <= 10, stem
        assert sum(v.question is not None for v in lesson.views) >= 3, stem
        assert all(v.note for v in lesson.views), stem


@pytest.mark.parametrize(("stem", "k", "view"), VIEWS, ids=[f"{s}-{k + 1}" for s, k, _ in VIEWS])
def test_every_view_opens_and_its_question_is_the_one_the_page_asks(stem, k, view):
    info = by_url(view.page)
    assert info is not None
    at = open_page(info.file, **view.query())
    assert not at.exception, [e.value for e in at.exception]
    assert not at.toast, [t.value for t in at.toast]  # every value of the link was taken
    if view.stepper:
        step, make = at.session_state["_step_questions"][view.page][view.stepper]
        assert step == view.step
        asked = [question_to_dict(q) for q in make()]
        assert question_to_dict(view.question) in asked


def test_a_receptive_field_question_on_a_network_is_the_engines_number():
    from cnnviz.networks import network, probe

    checked = 0
    for _, _, v in VIEWS:
        if v.page == "networks" and v.question is not None and "receptive field" in v.question.prompt:
            net = network.get(v.query().get("model", "efficientnet_lite0"))
            assert v.question.answer == probe.layer(net, v.query()["layer"]).rf
            checked += 1
    assert checked >= 1
