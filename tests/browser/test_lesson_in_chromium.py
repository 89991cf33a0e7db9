"""A teacher runs a three-view lesson with two students in three browsers: each view change reaches the students,
a question's answers are counted and revealed, and the summary counts what the class answered."""

from __future__ import annotations

import pytest

from cnnviz.classroom.lessons import to_link_value
from tests.app.test_lesson_run import LESSON  # the same three views, run in three browsers
from tests.browser.conftest import Watched
from tests.browser.test_follow_the_teacher import _text, _title, start_class

pytestmark = pytest.mark.browser


def _answer(w: Watched, text: str) -> None:
    box = w.page.locator('input[aria-label="Your prediction"]')
    box.fill(text)
    box.press("Enter")
    _text(w, "Sent: ")


def test_a_teacher_runs_a_three_view_lesson_two_students_follow_answer_and_the_summary_counts(server, browser,
                                                                                                artifacts):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    teacher, *students = (Watched(c.new_page()) for c in contexts)
    try:
        code = start_class(teacher, f"{server.url}/lessons?lesson={to_link_value(LESSON)}")
        _text(teacher, "3. One cell")  # the link's lesson is open in the editor
        teacher.page.get_by_role("button", name="Run the lesson").click()
        _title(teacher, "Convolution")
        for s in students:
            s.page.goto(f"{server.url}/?class={code}")
            _text(s, "View 1 of 3: The grid")
            _text(s, "Look at the kernel first.")
        teacher.wait_idle()
        teacher.page.get_by_role("button", name="Next view").click()
        for s, a in zip(students, ("0", "-3"), strict=True):
            _title(s, "Activations")
            _text(s, "View 2 of 3: ReLU")
            _answer(s, a)
        _text(teacher, "2 answered")
        teacher.wait_idle()
        teacher.page.get_by_role("button", name="Reveal").click()
        _text(teacher, "The answer: 0")
        _text(students[0], "Right: 0")
        _text(students[1], "Not quite — it is 0")
        students[1].screenshot(artifacts / "lesson_student_revealed.png")
        teacher.wait_idle()
        teacher.page.get_by_role("button", name="Next view").click()
        for s in students:
            _text(s, "View 3 of 3: One cell")
            _text(s, "Your teacher asks the class")
            _answer(s, "20")
        _text(teacher, "2 answered")
        teacher.wait_idle()
        teacher.screenshot(artifacts / "lesson_teacher_question.png")
        teacher.page.get_by_role("button", name="End the lesson").click()
        _title(teacher, "Lessons")
        _text(teacher, "What the class answered")
        teacher.page.wait_for_selector("table tbody tr")
        rows = [[c.strip() for c in r.locator("td").all_inner_texts()] for r in teacher.page.locator("table tbody tr").all()]
        assert [r[:4] for r in rows] == [["2", "ReLU(−3) = ?", "2", "1"], ["3", "What is output[0, 1]?", "2", "2"]], rows
        teacher.screenshot(artifacts / "lesson_summary.png")
        for w in (teacher, *students):
            assert w.page.locator('[data-testid="stException"]').count() == 0
            assert not [e for e in w.errors if "delta" in e.lower()], w.errors  # the page never broke
    finally:
        for c in contexts:
            c.close()
