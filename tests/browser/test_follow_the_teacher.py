"""Follow the teacher across two browsers: the student's view follows each step and page, detaches and rejoins."""

import re

from tests.browser.conftest import STATE_TIMEOUT_MS, Watched


def _text(w: Watched, text: str) -> None:
    w.page.wait_for_function("t => document.body.innerText.includes(t)", arg=text, timeout=STATE_TIMEOUT_MS)


def _title(w: Watched, title: str) -> None:
    w.page.wait_for_function("t => { const h = document.querySelector('h1'); return h && h.innerText.trim() === t; }",
                             arg=title, timeout=STATE_TIMEOUT_MS)


def start_class(teacher: Watched, url: str) -> str:
    """The teacher opens `url` and presses Start a class in the sidebar's Class panel: the class code."""
    teacher.page.goto(url)
    teacher.wait_idle()
    teacher.page.locator('[data-testid="stSidebar"]').get_by_text("Class", exact=True).click()
    teacher.page.get_by_role("button", name="Start a class").click()
    _text(teacher, "Teaching class")
    return re.search(r"Teaching class ([A-Z0-9]{5})", teacher.page.inner_text("body")).group(1)


def _step(w: Watched, expected: str) -> None:
    w.page.get_by_role("button", name=re.compile("Next")).first.click()
    _text(w, expected)


def test_a_student_follows_the_teachers_steps_and_pages_and_can_explore_and_rejoin(server, browser, artifacts):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    teacher, student = (Watched(c.new_page()) for c in contexts)
    try:
        code = start_class(teacher, f"{server.url}/convolution")

        student.page.goto(f"{server.url}/?class={code}")
        _title(student, "Convolution")
        _text(student, f"Following class {code}")
        _text(student, "Cell 1 of 25")

        for n in (2, 3, 4):  # the teacher steps three times; the student's view follows each step
            _step(teacher, f"Cell {n} of 25")
            _text(student, f"Cell {n} of 25")
        teacher.page.get_by_role("link", name="Pooling", exact=True).click()
        _title(teacher, "Pooling")
        _title(student, "Pooling")
        student.wait_idle()
        student.screenshot(artifacts / "follow_student_following.png")

        student.page.get_by_role("button", name="Explore on my own").click()
        _text(student, "Exploring on your own")
        student.wait_idle()
        _step(student, "Cell 2 of")
        _step(teacher, "Cell 2 of")
        _step(teacher, "Cell 3 of")
        student.page.wait_for_timeout(2500)  # several follow checks later: the student's own step stays
        assert "Cell 2 of" in student.page.inner_text("body")

        student.page.get_by_role("button", name="Follow the teacher").click()
        _text(student, "Cell 3 of")
        _text(student, f"Following class {code}")
        student.wait_idle()
        teacher.wait_idle()
        student.page.reload()  # a reconnecting student (a new session) keeps following: the link carries the code
        _text(student, f"Following class {code}")
        _title(student, "Pooling")
        _text(student, "Cell 3 of")
        _text(teacher, "1 student(s) following")  # counted from the student's check-ins (refreshed every 3 s)
        student.screenshot(artifacts / "follow_student_rejoined.png")
        teacher.screenshot(artifacts / "follow_teacher.png")
        for w in (teacher, student):
            assert w.page.locator('[data-testid="stException"]').count() == 0
    finally:
        for c in contexts:
            c.close()
