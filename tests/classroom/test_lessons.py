"""Lessons as data: a lesson survives its file and its link unchanged, a bad or oversize file is refused in one
sentence naming where, a typed question is checked as the class answers it, and a summary counts what it got."""

from __future__ import annotations

import json

import pytest

from cnnviz.classroom.lessons import (
    MAX_BYTES,
    MAX_VIEWS,
    Lesson,
    LessonError,
    LessonView,
    from_link_value,
    lesson_from_json,
    summarise,
    summary_csv,
    to_link_value,
    typed_question,
)
from cnnviz.grids.conv import conv2d
from cnnviz.grids.questions import answer_to_text, conv_question

pytestmark = pytest.mark.unit


def _lesson() -> Lesson:
    res = conv2d([[1.0, 2, 0], [0, 1, 3], [2, 2, 1]], [[1.0, 0], [0, 1]])
    return Lesson("Convolution, first steps", (
        LessonView("The grid", "convolution", (("step", "0"),), "Look at the kernel first."),
        LessonView("One cell", "convolution", (("step", "1"),), "", conv_question(res, 1), "conv", 1),
        LessonView("Your guess", "pooling", (), "Think of the window.",
                   typed_question("Which pooling keeps the strongest response?", choices=["Max", "Average"], right=0)),
        LessonView("A number", "activations", (), "", typed_question("ReLU(−3) = ?", "0")),
    ))


def test_a_lesson_survives_its_file_and_its_link_unchanged():
    lesson = _lesson()
    assert lesson_from_json(lesson.to_json()) == lesson
    value = to_link_value(lesson)
    assert value is not None and len(value) < 1800
    assert from_link_value(value) == lesson


def test_views_are_added_moved_and_removed_and_a_lesson_has_a_limit():
    lesson = _lesson()
    assert [v.title for v in lesson.moved(0, 1).views][:2] == ["One cell", "The grid"]
    assert lesson.moved(0, -1) == lesson  # at an end it stays
    assert [v.title for v in lesson.removed(1).views] == ["The grid", "Your guess", "A number"]
    full = Lesson("full", tuple(lesson.views[0] for _ in range(MAX_VIEWS)))
    with pytest.raises(LessonError, match="at most"):
        full.added(lesson.views[0])


def _file(**changes) -> str:
    d = _lesson().to_dict()
    for k, v in changes.items():
        d[k] = v
    return json.dumps(d)


def _view(n: int, **changes) -> str:
    d = _lesson().to_dict()
    d["views"][n - 1] |= changes
    return json.dumps(d)


@pytest.mark.parametrize(("data", "said"), [
    (b"\x80\x03cos\nsystem\n", "not JSON"),  # a pickle is data that is never run
    ("[1, 2]", "not a lesson file"),
    (_file(format="something"), "not a lesson file"),
    (_file(version=7), "version 7"),
    (_file(views=[]), "at least one view"),
    (_file(name=""), "the lesson: \"name\""),
    (_view(2, page="../../etc/passwd"), "view 2: '../../etc/passwd' is not a page"),
    (_view(1, params={"__import__": "os"}), "view 1: the link value '__import__'"),
    (_view(1, params={"step": 3}), "view 1: the link value 'step'"),
    (_view(3, note="x" * 601), "view 3: \"note\""),
    (_view(3, question={"prompt": "?", "answer": "Min", "because": "-", "choices": ["Max", "Average"]}),
     "view 3: its question is not one this app can ask"),
    (_view(4, question={"prompt": "?", "answer": "nan", "because": "-"}), "view 4: its question"),
    (_view(2, question={"prompt": "?", "answer": 1.0, "because": "-", "stepper": "x; rm", "step": 1}),
     "view 2: the question's stepper"),
    ("{" + " " * MAX_BYTES + "}", "at most"),
])
def test_a_bad_or_oversize_lesson_file_is_refused_in_one_sentence_naming_where(data, said):
    with pytest.raises(LessonError) as e:
        lesson_from_json(data)
    assert said in str(e.value) and "\n" not in str(e.value)


def test_a_damaged_link_is_one_sentence():
    value = to_link_value(_lesson())
    assert value is not None
    with pytest.raises(LessonError, match="damaged"):
        from_link_value(value[: len(value) // 2])


def test_typed_questions_are_checked_as_the_class_answers_them():
    q = typed_question("Which pooling keeps the strongest response?", choices=["Max", "Average", ""], right=0)
    assert q.choices == ("Max", "Average") and q.parse("max") == "Max" and q.is_right(q.parse("MAX"))
    n = typed_question("ReLU(−3) = ?", "0")
    assert n.is_right(n.parse("0")) and not n.is_right(n.parse("-3"))
    for bad in (lambda: typed_question("?", choices=["only one"]), lambda: typed_question("?", "three"),
                lambda: typed_question("", "1"), lambda: typed_question("?", choices=["a", "b"], right=5)):
        with pytest.raises(LessonError):
            bad()


def test_a_summary_counts_who_answered_who_was_right_and_the_spread_without_names():
    q = typed_question("ReLU(−3) = ?", "0")
    answers = [answer_to_text(q.parse(a)) for a in ("0", "0", "-3", "0.0")] + ["not a number"]
    s = summarise(4, "A number", q, answers)
    assert (s.answered, s.right) == (4, 3)
    assert s.spread == (("−3", 1, False), ("0", 3, True))
    csv_text = summary_csv([s])
    assert csv_text.splitlines()[0] == "view,title,question,answered,right,answers"
    assert "4,A number,ReLU(−3) = ?,4,3,−3: 1; 0: 3 (right)" in csv_text


def test_a_run_moves_view_by_view_asks_each_question_anew_and_keeps_every_count():
    from cnnviz.classroom.lessons import LessonRun

    lesson = _lesson()
    asked = [i for i, v in enumerate(lesson.views) if v.question is not None]
    assert asked, "the test lesson asks something"
    run = LessonRun()
    poll, line = run.open_view(lesson, asked[0], "p1")
    assert poll is not None and poll["id"] == "p1" and poll["lesson_view"] == asked[0] and not poll["revealed"]
    assert line == {"name": lesson.name, "at": asked[0], "n": len(lesson.views),
                    "title": lesson.views[asked[0]].title, "note": lesson.views[asked[0]].note}
    assert (run.at, run.active, run.poll) == (asked[0], True, (asked[0], "p1"))
    q = lesson.views[asked[0]].question
    right = answer_to_text(q.answer)
    run.record(lesson, asked[0], [right, "999"])  # counted as the answers come
    run.close_question(lesson, lambda poll_id: [])  # the store lost them: the count taken so far stays
    assert run.poll is None and run.summaries()[0].answered == 2
    run.open_view(lesson, asked[0], "p2")
    run.close_question(lesson, lambda poll_id: [right] if poll_id == "p2" else [])
    assert run.summaries()[0].answered == 1 and run.summaries()[0].right == 1
    run.leave()
    assert not run.active and not run.ended and run.at == asked[0]
    again_lesson, again = LessonRun.restored(run.saved(lesson))
    assert again == run and again_lesson == lesson
    run.leave(ended=True)
    assert run.ended
    with pytest.raises((ValueError, KeyError)):
        LessonRun.restored(json.dumps({"lesson": {}}))
