"""Every page in a real browser, in normal and presentation mode, with screenshots to look at."""

import re

import pytest

from cnnviz.pagemap import HOME, PAGES, by_url
from tests.browser.conftest import STATE_TIMEOUT_MS

ALL = [HOME, *PAGES]


def _no_exception(w) -> None:
    exc = w.page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()
    assert w.errors == [], w.errors


@pytest.mark.parametrize("mode", ["normal", "presentation"])
@pytest.mark.parametrize("page", ALL, ids=lambda p: p.url_path)
def test_every_page_opens_without_errors_and_is_screenshotted(server, watched, artifacts, page, mode):
    query = "?present=1" if mode == "presentation" else ""
    path = "" if page is HOME else page.url_path
    watched.page.goto(f"{server.url}/{path}{query}")
    watched.wait_idle(1200 if page is HOME else 400)
    if page is HOME:  # the environment panel fills in once torch is imported in the background
        watched.page.get_by_text("Device in use").wait_for(timeout=STATE_TIMEOUT_MS)
        watched.wait_idle()
    title = "CNN Explorer" if page is HOME else page.title
    assert watched.page.locator("h1").first.inner_text().strip() == title
    nav = watched.page.locator('[data-testid="stSidebarNav"]')
    if mode == "normal":
        assert "Operations" in nav.inner_text() and "Seeing inside" in nav.inner_text()
    watched.screenshot(artifacts / f"{page.url_path}_{mode}.png")
    _no_exception(watched)
    from tests.browser.test_projector_in_chromium import CUT_LABELS

    assert watched.page.evaluate(CUT_LABELS) == []  # no label, button or tab ends in "…"


def test_a_deep_link_right_after_start_goes_through_the_navigation(fresh_server, watched):
    watched.page.goto(f"{fresh_server.url}/pooling?present=1")
    watched.wait_idle()
    assert watched.page.locator("h1").first.inner_text().strip() == "Pooling"
    nav = watched.page.locator('[data-testid="stSidebarNav"]')
    assert "Operations" in nav.inner_text()
    # the sidebar settings of app.py ran and took the URL's setting
    assert watched.page.get_by_role("switch", name="Presentation mode").is_checked()
    _no_exception(watched)
    # meanwhile the serve command opened the heavy pages once itself, so their first visitors find them built
    assert fresh_server.wait_for("Opened networks, backward", 180)  # (tests warm these two: tests/conftest.py)
    assert "Traceback" not in fresh_server.log.read_text(errors="replace")


def test_page_switching_keeps_settings_and_grids(server, watched):
    watched.page.goto(f"{server.url}/convolution")
    watched.wait_idle()
    watched.page.get_by_role("button", name=re.compile("Next")).first.click()
    watched.wait_idle()
    assert "Cell 2 of 25" in watched.page.inner_text("body")
    watched.page.get_by_text("Presentation mode").click()
    watched.wait_idle()
    watched.page.get_by_role("link", name="Pooling", exact=True).click()
    watched.wait_idle()
    assert watched.page.locator("h1").first.inner_text().strip() == "Pooling"
    assert "present=1" in watched.page.url
    watched.page.get_by_role("link", name="Convolution", exact=True).click()
    watched.wait_idle()
    assert "Cell 2 of 25" in watched.page.inner_text("body")
    assert watched.page.get_by_role("switch", name="Presentation mode").is_checked()
    _no_exception(watched)


@pytest.mark.parametrize("path", [p.url_path for p in [HOME, *PAGES]])
def test_every_page_opens_from_its_typed_url_path(server, watched, path):
    watched.page.goto(f"{server.url}/{path}")
    watched.wait_idle()
    expected = "CNN Explorer" if path == HOME.url_path else by_url(path).title
    watched.page.wait_for_function("t => document.querySelector('h1') && document.querySelector('h1').innerText"
                                   ".trim() === t", arg=expected, timeout=STATE_TIMEOUT_MS)
    assert "Page not found" not in watched.page.inner_text("body")
    _no_exception(watched)


def test_the_step_reached_in_the_browser_is_in_the_link(server, watched, browser):
    watched.page.goto(f"{server.url}/convolution")
    watched.wait_idle()
    for _ in range(2):
        watched.page.get_by_role("button", name=re.compile("Next")).first.click()
        watched.wait_idle()
    watched.page.wait_for_function("() => location.search.includes('step=2')", timeout=STATE_TIMEOUT_MS)
    link = watched.page.url
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        other.goto(link)
        other.wait_for_function("() => document.body.innerText.includes('Cell 3 of 25')", timeout=STATE_TIMEOUT_MS)
    finally:
        other.context.close()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
@pytest.mark.parametrize("page", ALL, ids=lambda p: p.url_path)
def test_no_label_is_cut_off_on_a_laptop_or_a_large_screen(server, browser, page, size):
    from tests.browser.conftest import Watched
    from tests.browser.test_projector_in_chromium import CUT_LABELS

    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    w = Watched(ctx.new_page())
    w.page.goto(f"{server.url}/{'' if page is HOME else page.url_path}")
    w.wait_idle(1200 if page is HOME else 400)
    assert w.page.evaluate(CUT_LABELS) == []
    ctx.close()
