"""A student on a phone (390×844, touch) follows a teacher on a desktop: the step the teacher is on and the question
being asked are on the phone's first screen, the teacher's settings folded below; the answer reaches the teacher."""

import re

from tests.browser.conftest import STATE_TIMEOUT_MS, Watched
from tests.browser.test_follow_the_teacher import _text, _title, start_class

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _top(w: Watched, text: str) -> float:
    """Where `text` starts on the page, in CSS px from the top of the document (the first match)."""
    box = w.page.get_by_text(text, exact=False).first.bounding_box()
    assert box is not None, text
    return box["y"] + w.page.evaluate("window.scrollY")


def test_a_phone_follower_sees_the_teachers_step_and_the_question_on_its_first_screen(server, browser, artifacts):
    desk, phone = browser.new_context(viewport={"width": 1400, "height": 1000}), browser.new_context(**PHONE)
    teacher, student = Watched(desk.new_page()), Watched(phone.new_page())
    try:
        code = start_class(teacher, f"{server.url}/convolution")
        student.page.goto(f"{server.url}/?class={code}")
        _title(student, "Convolution")
        _text(student, "Cell 1 of 25")
        teacher.page.get_by_role("button", name=re.compile("Next")).first.click()
        _text(teacher, "Cell 2 of 25")
        _text(student, "Cell 2 of 25")
        student.wait_idle()
        assert _top(student, "Cell 2 of 25") < 844, "the teacher's step is below the phone's first screen"
        assert student.page.get_by_text("Settings (your teacher's)").count() == 1
        assert student.page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
        student.screenshot(artifacts / "phone_follower_step.png")
        teacher.wait_idle()
        teacher.page.get_by_role("button", name="Ask the class").click()
        _text(student, "Your teacher asks the class")
        student.wait_idle()
        box = student.page.locator('input[aria-label="Your prediction"]')
        assert _top(student, "Your teacher asks the class") < 844 and box.bounding_box()["y"] < 844
        student.screenshot(artifacts / "phone_follower_question.png")
        assert box.get_attribute("placeholder") == "a number"
        box.fill("7")
        box.press("Enter")
        _text(student, "Sent: 7")
        teacher.page.wait_for_function("() => /1 answered/.test(document.body.innerText)", timeout=STATE_TIMEOUT_MS)
        for w in (teacher, student):
            assert w.page.locator('[data-testid="stException"]').count() == 0
    finally:
        desk.close()
        phone.close()
