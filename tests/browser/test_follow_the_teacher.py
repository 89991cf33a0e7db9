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


def test_a_teacher_asks_the_class_students_answer_and_everybody_sees_the_reveal(server, browser, artifacts):
    """One ask-answer-reveal round in separate browsers; the teacher projects (presentation mode), as in a lecture."""
    contexts = [browser.new_context(viewport=size) for size in ({"width": 1280, "height": 720},
                                                                 *[{"width": 1400, "height": 1000}] * 3)]
    teacher, *students = (Watched(c.new_page()) for c in contexts)
    try:
        code = start_class(teacher, f"{server.url}/convolution")
        teacher.page.locator('[data-testid="stSidebar"]').get_by_text("Presentation mode").click()  # projected
        teacher.page.wait_for_function("() => location.search.includes('present=1')", timeout=STATE_TIMEOUT_MS)
        for s in students:
            s.page.goto(f"{server.url}/?class={code}")
            _title(s, "Convolution")
            _text(s, "Cell 1 of 25")
        teacher.wait_idle()
        teacher.page.get_by_role("button", name="Ask the class").click()
        _text(teacher, "0 answered")
        for s, answer in zip(students, ("5 x 5", "5x5", "3 x 3"), strict=True):
            _text(s, "Your teacher asks the class")
            _text(s, "What size will the output be?")
            box = s.page.get_by_label("Your prediction")
            box.fill(answer)
            box.press("Enter")  # Enter sends, as it checks in predict mode
            _text(s, "Sent: ")
        _text(teacher, "3 answered")
        teacher.wait_idle()
        teacher.screenshot(artifacts / "ask_teacher_histogram.png")
        teacher.page.get_by_role("button", name="Reveal").click()
        _text(teacher, "The answer: 5 × 5")
        _text(teacher, "right answer")  # marked on the histogram
        _text(teacher, "2 of 3 right")
        _text(students[0], "Right: 5 × 5, because rows")
        _text(students[2], "Not quite — it is 5 × 5, because rows")
        teacher.wait_idle()
        teacher.screenshot(artifacts / "ask_teacher_revealed.png")
        students[2].wait_idle()
        students[2].screenshot(artifacts / "ask_student_revealed.png")
        for w in (teacher, *students):
            assert w.page.locator('[data-testid="stException"]').count() == 0
    finally:
        for c in contexts:
            c.close()


def test_predict_first_hides_the_step_and_enter_checks_the_prediction(server, browser, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    w = Watched(context.new_page())
    try:
        w.page.goto(f"{server.url}/convolution?predict=1")
        _text(w, "What size will the output be?")
        w.wait_idle()
        box = w.page.get_by_label("Your prediction")
        box.fill("5 x 5")
        box.press("Enter")
        _text(w, "Right: 5 × 5")
        _text(w, "What is output[0, 0]?")
        w.wait_idle()
        w.screenshot(artifacts / "predict_hidden.png")
        assert _grid_numbers(w, "output") == ["?"] + [""] * 24  # nothing of the next 24 answers on screen
        assert w.page.get_by_text("Exports (CSV, PNG, GIF, slide) wait").count() == 1
        box = w.page.get_by_label("Your prediction").last  # the cell's box (the size's, answered, has gone)
        box.fill("17")
        box.press("Enter")
        _text(w, "Not quite — it is 18, because 6×1 + 3×0")
        _text(w, "Your score: 1 of 2 right")
        w.wait_idle()
        assert _grid_numbers(w, "output") == ["18"] + [""] * 24  # revealed; the next cell still to predict
        w.screenshot(artifacts / "predict_checked.png")
        assert w.page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()


def _grid_numbers(w: Watched, name: str) -> list[str]:
    """The numbers a grid panel of the page's figures draws, as plotly holds them in the browser."""
    return w.page.evaluate("""name => {
        for (const gd of document.querySelectorAll('.js-plotly-plot'))
            for (const t of gd.data || []) if (t.name === name && t.customdata) return t.text;
        return null; }""", name)
