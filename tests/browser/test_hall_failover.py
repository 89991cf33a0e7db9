"""A lecture hall in chromium: three replicas, Redis and HAProxy; a student's replica and then the teacher's are
killed with SIGKILL mid-class, and the class goes on (the browsers reconnect through HAProxy by themselves)."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import STATE_TIMEOUT_MS, Watched
from tests.browser.test_follow_the_teacher import start_class

FOLLOW_AGAIN_S = 15  # the target for a student whose replica died


def _text(w: Watched, text: str, timeout_ms: int = STATE_TIMEOUT_MS) -> None:
    w.page.wait_for_function("t => document.body.innerText.includes(t)", arg=text, timeout=timeout_ms)


def _replica(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "cnnviz_replica")


def _next(w: Watched, expected: str) -> None:
    w.page.get_by_role("button", name=re.compile("Next")).first.click()
    _text(w, expected)


@pytest.fixture
def hall(tmp_path):
    from cnnviz.classroom.hall import Hall, HallError, free_port

    h = Hall(3, free_port(), address="127.0.0.1", workdir=tmp_path)
    try:
        h.start()
    except HallError as e:
        import os

        if os.environ.get("CI"):
            raise
        pytest.skip(str(e))
    yield h
    h.stop()


def test_a_replicas_death_loses_no_student_and_the_teacher_resumes_with_one_click(hall, browser, artifacts):
    contexts = []

    def tab() -> Watched:
        c = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(c)
        return Watched(c.new_page())

    try:
        teacher = tab()
        code = start_class(teacher, f"{hall.url}/convolution")
        teacher_replica = _replica(contexts[0])

        students = []
        for _ in range(4):  # HAProxy spreads new tabs over the replicas: one student off the teacher's replica
            s = tab()
            s.page.goto(f"{hall.url}/?class={code}")
            _text(s, "Cell 1 of 25")
            students.append(s)
            if _replica(contexts[-1]) != teacher_replica:
                break
        student, student_replica = students[-1], _replica(contexts[-1])
        assert student_replica != teacher_replica
        assert not any(c["name"] == "cnnviz_teacher" for c in contexts[-1].cookies())  # no secret with students
        assert "token" not in student.page.url and code in student.page.url

        for n in (2, 3):
            _next(teacher, f"Cell {n} of 25")
            _text(student, f"Cell {n} of 25")

        hall.kill(int(student_replica.lstrip("r")))  # SIGKILL: no goodbye to its browsers
        _next(teacher, "Cell 4 of 25")
        t0 = time.monotonic()
        _text(student, "Cell 4 of 25", timeout_ms=60_000)
        took = time.monotonic() - t0
        _text(student, f"Following class {code}")
        assert _replica(contexts[-1]) != student_replica
        assert took <= FOLLOW_AGAIN_S, f"the student followed again after {took:.1f} s"
        student.wait_idle()
        student.screenshot(artifacts / "hall_student_after_failover.png")

        hall.kill(int(teacher_replica.lstrip("r")))  # now the teacher's own replica dies
        _text(teacher, f"You were teaching class {code}", timeout_ms=60_000)
        teacher.wait_idle()
        teacher.screenshot(artifacts / "hall_teacher_resume.png")
        teacher.page.get_by_role("button", name="Resume teaching").click()  # the one click
        _text(teacher, f"Teaching class {code}")
        _text(teacher, "Cell 4 of 25")  # the teacher's link kept the step
        _next(teacher, "Cell 5 of 25")
        for s in students:  # every student, wherever they now are, follows the resumed teacher
            _text(s, "Cell 5 of 25", timeout_ms=60_000)
            assert s.page.locator('[data-testid="stException"]').count() == 0
        assert teacher.page.locator('[data-testid="stException"]').count() == 0
    finally:
        for c in contexts:
            c.close()
